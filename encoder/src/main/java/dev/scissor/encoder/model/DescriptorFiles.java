package dev.scissor.encoder.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/** Finds, reads and writes descriptor files and the built-in descriptors ({@link EncoderModelDescriptor}). */
final class DescriptorFiles {

    private static final String RESOURCE_DIR = "/dev/scissor/encoder/model/";
    private static final List<String> BUILTIN_DESCRIPTORS = List.of("mnv2-nsfwjs", "mnv2-nsfwjs-136", "mnv3-centernet");

    private DescriptorFiles() {}

    static EncoderModelDescriptor builtin(final String name) {
        final String key = name.toLowerCase(Locale.ROOT);
        if (!BUILTIN_DESCRIPTORS.contains(key)) {
            throw new IllegalArgumentException("unknown built-in encoder descriptor '" + name + "'; known: "
                    + String.join(", ", BUILTIN_DESCRIPTORS));
        }
        try (InputStream in = DescriptorFiles.class.getResourceAsStream(RESOURCE_DIR + key + ".properties")) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCE_DIR + key + ".properties");
            }
            final Properties p = new Properties();
            try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                p.load(r);
            }
            return fromProperties(p, null);
        } catch (final IOException e) {
            throw new IllegalStateException("cannot read built-in descriptor " + key, e);
        }
    }

    static EncoderModelDescriptor resolve(final String spec) throws IOException {
        final String s = Objects.requireNonNull(spec, "spec").strip();
        final Path p = Path.of(s);
        if (Files.isDirectory(p) || Files.isRegularFile(p)) {
            return load(p);
        }
        if (BUILTIN_DESCRIPTORS.contains(s.toLowerCase(Locale.ROOT))) {
            return builtin(s);
        }
        throw new IllegalArgumentException("encoder '" + s + "' is neither a built-in encoder ("
                + String.join(", ", BUILTIN_DESCRIPTORS) + "), nor a descriptor file, nor a model "
                + "directory with " + EncoderModelDescriptor.DIRECTORY_DESCRIPTOR);
    }

    static EncoderModelDescriptor load(final Path path) throws IOException {
        Path file = path;
        if (Files.isDirectory(path)) {
            file = path.resolve(EncoderModelDescriptor.DIRECTORY_DESCRIPTOR);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("encoder model directory " + path.toAbsolutePath()
                        + " has no " + EncoderModelDescriptor.DIRECTORY_DESCRIPTOR
                        + " (write one with `scissor export-encoder "
                        + "--from CHECKPOINT --out DIR`)");
            }
        }
        final String text = Files.readString(file, StandardCharsets.UTF_8);
        final Path base = file.toAbsolutePath().getParent();
        try {
            if (file.getFileName().toString().endsWith(".json") || text.strip().startsWith("{")) {
                return DescriptorParser.fromJson(text, base);
            }
            final Properties p = new Properties();
            p.load(new StringReader(text));
            return fromProperties(p, base);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    static EncoderModelDescriptor fromProperties(final Properties p, final Path baseDir) {
        final Map<String, String> m = new TreeMap<>();
        for (final String k : p.stringPropertyNames()) {
            m.put(k, p.getProperty(k));
        }
        return DescriptorParser.fromMap(m, baseDir);
    }

    static Properties toProperties(final EncoderModelDescriptor d) {
        final Properties p = new Properties();
        p.setProperty("id", d.id());
        p.setProperty("model", d.model());
        p.setProperty("input.name", d.inputName());
        p.setProperty("input.height", Integer.toString(d.inputHeight()));
        p.setProperty("input.width", Integer.toString(d.inputWidth()));
        p.setProperty("input.channelOrder", d.channelOrder().name());
        p.setProperty("input.scale", Float.toString(d.normalization().scale()));
        p.setProperty("input.mean", joined(d.normalization().mean()));
        p.setProperty("input.std", joined(d.normalization().std()));
        p.setProperty("output.name", d.outputName());
        p.setProperty("output.layout", d.outputLayout().name());
        p.setProperty("grid.height", Integer.toString(d.gridHeight()));
        p.setProperty("grid.width", Integer.toString(d.gridWidth()));
        p.setProperty("token.dim", Integer.toString(d.tokenDim()));
        p.setProperty("input.resample", d.resample().key());
        p.setProperty("token.dtype", d.tokenDtype().name().toLowerCase(Locale.ROOT));
        p.setProperty("model.dtype", d.modelDtype());
        if (d.checkpoint() != null) {
            p.setProperty("checkpoint", d.checkpoint());
        }
        return p;
    }

    private static String joined(final float[] v) {
        final StringBuilder sb = new StringBuilder();
        for (int k = 0; k < v.length; k++) {
            sb.append(k == 0 ? "" : ",").append(v[k]);
        }
        return sb.toString();
    }
}
