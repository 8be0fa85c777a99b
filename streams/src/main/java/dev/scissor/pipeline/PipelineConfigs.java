package dev.scissor.pipeline;

import java.util.Locale;
import org.apache.kafka.common.config.ConfigDef;

/** Helpers shared by the stage configurations. */
final class PipelineConfigs {

    private PipelineConfigs() {
    }

    /** Every key of a definition with its type, default and documentation, one a line. */
    static String describe(final ConfigDef definition) {
        final StringBuilder sb = new StringBuilder();
        for (final ConfigDef.ConfigKey key : definition.configKeys().values()) {
            sb.append(String.format("  %-42s %-7s default %-14s %s%n", key.name,
                    key.type.name().toLowerCase(Locale.ROOT), ConfigDef.convertToString(key.defaultValue, key.type),
                    key.documentation));
        }
        return sb.toString();
    }
}
