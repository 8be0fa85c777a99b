package dev.scissor.compressor.eval;

import java.util.ArrayList;
import java.util.List;

/** The methods by name, for the command line and the default battery. */
public final class Methods {

    /** Every name {@link #byName} accepts, in table order. */
    public static final List<String> ALL = List.of(
            "scissor",
            "scissor-budget",
            "scissor-budget-cal",
            "refined",
            "pool",
            "random",
            "l2norm",
            "tome",
            "dycoke",
            "dtd",
            "fastvid");

    private Methods() {}

    /**
     * One method.
     *
     * @param name a name from {@link #ALL}
     * @param seed seed of the random methods
     * @return the method
     * @throws IllegalArgumentException for an unknown name
     */
    public static Method byName(final String name, final long seed) {
        return switch (name) {
            case "scissor" -> new ScissorThreshold();
            case "scissor-budget" -> new ScissorBudget();
            case "scissor-budget-cal" -> new ScissorBudgetCalibrated();
            case "refined" -> new ScissorRefined();
            case "pool" -> new UniformPooling();
            case "random" -> new RandomSelection(seed);
            case "l2norm" -> new L2NormTopK();
            case "tome" -> new ToMe();
            case "dycoke" -> new DyCokeTtm();
            case "dtd" -> new DtdDrop();
            case "fastvid" -> new FastVidLite();
            default -> throw new IllegalArgumentException("unknown method '" + name + "', expected one of " + ALL);
        };
    }

    /** The methods named, in the order given. */
    public static List<Method> byNames(final List<String> names, final long seed) {
        final List<Method> out = new ArrayList<>();
        for (final String n : names) {
            out.add(byName(n.trim(), seed));
        }
        return out;
    }
}
