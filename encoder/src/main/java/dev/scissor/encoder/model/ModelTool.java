package dev.scissor.encoder.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.scissor.encoder.tfjs.ConversionSpec;
import dev.scissor.encoder.tfjs.PackedProtoWriter;
import dev.scissor.encoder.tfjs.TfjsGraphModel;
import dev.scissor.encoder.tfjs.TfjsToOnnxConverter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;

/**
 * Command line for the model store and the converter.
 *
 * <pre>
 * fetch [id ...]                  obtain, convert and cache built-in models (default mnv2-nsfwjs;
 *                                 "all" for every one); prints the cached paths
 * convert &lt;tfjs-dir|model.json|model.min.js&gt; &lt;out.onnx&gt; [--no-probs] [--dynamic-hw]
 *         [--input-scale S] [tfTensor=onnxName ...]
 *                                 convert any TFJS graph model (the reference converter's CLI)
 * inspect &lt;file.onnx|id|descriptor.properties|descriptor.json|model-dir&gt;
 *                                 list a model's inputs and outputs; validate a descriptor
 * </pre>
 *
 * <p>Run with {@code java -cp <encoder classpath> dev.scissor.encoder.model.ModelTool fetch}.
 */
public final class ModelTool {

    private ModelTool() {}

    /**
     * Entry point.
     *
     * @param args the command and its arguments
     */
    public static void main(final String[] args) {
        try {
            System.exit(run(args, System.out));
        } catch (final ModelUnavailableException | IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        } catch (final IOException | OrtException e) {
            System.err.println("error: " + e);
            System.exit(1);
        }
    }

    /**
     * Runs one command.
     *
     * @param args the command and its arguments
     * @param out where results are printed
     * @return the exit code
     * @throws IOException if files cannot be read or written, or a model cannot be obtained
     * @throws OrtException if ONNX Runtime cannot load a model
     */
    static int run(final String[] args, final PrintStream out) throws IOException, OrtException {
        if (args.length == 0) {
            out.println("usage: fetch [id ...|all] | convert <tfjs> <out.onnx> [--no-probs] "
                    + "[--dynamic-hw] [--input-scale S] [tf=onnx ...] | inspect <onnx|id|descriptor>");
            return 2;
        }
        final List<String> rest = Arrays.asList(args).subList(1, args.length);
        switch (args[0]) {
            case "fetch":
                return fetch(rest, out);
            case "convert":
                return convert(rest, out);
            case "inspect":
                return inspect(rest, out);
            default:
                throw new IllegalArgumentException("unknown command '" + args[0] + "'");
        }
    }

    private static int fetch(final List<String> ids, final PrintStream out) throws IOException {
        final ModelStore store = ModelStore.fromEnvironment();
        final List<NpmModelRecipe> recipes = new ArrayList<>();
        if (ids.isEmpty()) {
            recipes.add(BuiltinModels.MNV2_NSFWJS);
        } else if (ids.equals(List.of("all"))) {
            recipes.addAll(BuiltinModels.all());
        } else {
            for (final String id : ids) {
                recipes.add(BuiltinModels.byId(id));
            }
        }
        for (final NpmModelRecipe r : recipes) {
            out.println(r.id() + "\t" + store.resolve(r));
        }
        return 0;
    }

    private static int convert(final List<String> a, final PrintStream out) throws IOException {
        if (a.size() < 2) {
            throw new IllegalArgumentException("convert needs <tfjs model> <out.onnx>");
        }
        boolean probs = true;
        boolean dyn = false;
        OptionalDouble scale = OptionalDouble.empty();
        final List<ConversionSpec.Output> outputs = new ArrayList<>();
        for (int k = 2; k < a.size(); k++) {
            final String s = a.get(k);
            if ("--no-probs".equals(s)) {
                probs = false;
            } else if ("--dynamic-hw".equals(s)) {
                dyn = true;
            } else if ("--input-scale".equals(s) && k + 1 < a.size()) {
                scale = OptionalDouble.of(Double.parseDouble(a.get(++k)));
            } else if (s.contains("=")) {
                final int eq = s.lastIndexOf('=');
                outputs.add(new ConversionSpec.Output(s.substring(0, eq), s.substring(eq + 1)));
            } else {
                throw new IllegalArgumentException("unexpected argument '" + s + "'");
            }
        }
        final ConversionSpec spec =
                new ConversionSpec(outputs, probs ? "probs" : null, ConversionSpec.DEFAULT_INPUT_NAME, dyn, scale);
        final TfjsGraphModel tf = TfjsGraphModel.load(Path.of(a.get(0)));
        final byte[] bytes = PackedProtoWriter.toByteArray(TfjsToOnnxConverter.convert(tf, spec));
        final Path target = Path.of(a.get(1));
        Files.write(target, bytes);
        out.println(target + "\t" + bytes.length + " bytes\tsha256 " + ModelStore.sha256Hex(bytes));
        return 0;
    }

    private static int inspect(final List<String> a, final PrintStream out) throws IOException, OrtException {
        if (a.size() != 1) {
            throw new IllegalArgumentException("inspect needs one argument");
        }
        final String arg = a.get(0);
        EncoderModelDescriptor descriptor = null;
        final Path onnx;
        if (arg.endsWith(".properties") || arg.endsWith(".json") || Files.isDirectory(Path.of(arg))) {
            descriptor = EncoderModelDescriptor.load(Path.of(arg));
            onnx = descriptor.resolveModel(ModelStore.fromEnvironment());
        } else if (BuiltinModels.isBuiltin(arg)) {
            onnx = ModelStore.fromEnvironment().resolve(arg);
        } else {
            onnx = Path.of(arg);
        }
        final OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                OrtSession s = env.createSession(onnx.toString(), o)) {
            out.println(onnx + "  sha256 " + ModelStore.sha256Hex(onnx));
            for (final NodeInfo n : s.getInputInfo().values()) {
                out.println("  input  " + n.getName() + "  " + n.getInfo());
            }
            for (final NodeInfo n : s.getOutputInfo().values()) {
                out.println("  output " + n.getName() + "  " + n.getInfo());
            }
            if (descriptor != null) {
                descriptor.validate(s);
                out.println("descriptor '" + descriptor.id() + "' matches the model");
            }
        }
        return 0;
    }
}
