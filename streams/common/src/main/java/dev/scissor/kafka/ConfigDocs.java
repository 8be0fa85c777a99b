package dev.scissor.kafka;

import java.util.Locale;
import org.apache.kafka.common.config.ConfigDef;

/** Text documentation of a {@link ConfigDef}, for the commands' {@code --describe-config}. */
public final class ConfigDocs {

    private ConfigDocs() {}

    /**
     * Every key of a definition with its type, default and documentation, one a line.
     *
     * @param definition the keys
     * @return the text
     */
    public static String describe(final ConfigDef definition) {
        final int width =
                definition.names().stream().mapToInt(String::length).max().orElse(0);
        final StringBuilder sb = new StringBuilder();
        for (final ConfigDef.ConfigKey key : definition.configKeys().values()) {
            sb.append(String.format(
                    "  %-" + width + "s  %-7s default %-12s %s%n",
                    key.name,
                    key.type.name().toLowerCase(Locale.ROOT),
                    ConfigDef.convertToString(key.defaultValue, key.type),
                    key.documentation));
        }
        return sb.toString();
    }
}
