package dev.scissor.encoder.tfjs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small, lenient parser for JSON and for the JavaScript object literals that minified bundles
 * contain (unquoted keys, single-quoted strings, {@code .5}-style numbers, {@code !0}/{@code !1}).
 *
 * <p>Values map to {@link LinkedHashMap} (objects, key order kept), {@link ArrayList} (arrays),
 * {@link String}, {@link Double} (all numbers), {@link Boolean} and {@code null}. It parses data
 * only: functions, expressions other than {@code !0}, {@code !1} and {@code void 0}, and
 * identifiers other than {@code true}, {@code false}, {@code null} and {@code undefined} are
 * errors.
 *
 * <p>{@link #parseModuleExport(String)} finds the value assigned to {@code exports}
 * ({@code module.exports=…}, {@code e.exports=…} inside a browserify bundle) or after
 * {@code export default}, which is how nsfwjs ships its TFJS model JSON and weight shards.
 */
public final class JsLiteral {

    private static final Pattern EXPORT =
            Pattern.compile("\\.exports\\s*=\\s*(?=[\\[{\"'])|export\\s+default\\s+(?=[\\[{\"'])");

    private final String src;
    private int pos;

    private JsLiteral(final String src, final int start) {
        this.src = src;
        this.pos = start;
    }

    /**
     * Parses a complete JSON document or JS literal.
     *
     * @param text the text
     * @return the parsed value
     * @throws IllegalArgumentException if the text is not a single literal value
     */
    public static Object parse(final String text) {
        final JsLiteral p = new JsLiteral(text, 0);
        final Object v = p.value();
        p.skipWs();
        if (p.pos != text.length()) {
            throw p.error("trailing characters after the value");
        }
        return v;
    }

    /**
     * Parses the first literal exported by a JS module: the object, array or string after
     * {@code .exports=} or {@code export default}. If neither is present the whole text is parsed
     * as JSON.
     *
     * @param text the module source
     * @return the exported value
     * @throws IllegalArgumentException if no literal export is found or it does not parse
     */
    public static Object parseModuleExport(final String text) {
        final Matcher m = EXPORT.matcher(text);
        if (!m.find()) {
            final String t = text.strip();
            if (t.startsWith("{") || t.startsWith("[")) {
                return parse(t);
            }
            throw new IllegalArgumentException(
                    "no 'exports = <literal>' or 'export default <literal>' found in module text");
        }
        return new JsLiteral(text, m.end()).value();
    }

    private Object value() {
        skipWs();
        if (pos >= src.length()) {
            throw error("unexpected end of input");
        }
        final char c = src.charAt(pos);
        switch (c) {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
            case '\'':
                return string();
            case '!':
                pos++;
                skipWs();
                if (src.startsWith("0", pos) && !isNumberChar(peek(1))) {
                    pos++;
                    return Boolean.TRUE;
                }
                if (src.startsWith("1", pos) && !isNumberChar(peek(1))) {
                    pos++;
                    return Boolean.FALSE;
                }
                throw error("only !0 and !1 are supported after '!'");
            default:
                if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')) {
                    return number();
                }
                if (Character.isJavaIdentifierStart(c)) {
                    final String id = identifier();
                    switch (id) {
                        case "true":
                            return Boolean.TRUE;
                        case "false":
                            return Boolean.FALSE;
                        case "null":
                        case "undefined":
                            return null;
                        case "void":
                            skipWs();
                            number();
                            return null;
                        case "Infinity":
                            return Double.POSITIVE_INFINITY;
                        case "NaN":
                            return Double.NaN;
                        default:
                            throw error("unsupported identifier '" + id + "' in a data literal");
                    }
                }
                throw error("unexpected character '" + c + "'");
        }
    }

    private Map<String, Object> object() {
        final Map<String, Object> out = new LinkedHashMap<>();
        pos++; // {
        skipWs();
        if (peek(0) == '}') {
            pos++;
            return out;
        }
        while (true) {
            skipWs();
            final char c = peek(0);
            final String key;
            if (c == '"' || c == '\'') {
                key = string();
            } else if (c == '-' || c == '.' || (c >= '0' && c <= '9')) {
                key = numberKey();
            } else if (Character.isJavaIdentifierStart(c)) {
                key = identifier();
            } else {
                throw error("expected an object key");
            }
            skipWs();
            expect(':');
            out.put(key, value());
            skipWs();
            final char d = peek(0);
            pos++;
            if (d == '}') {
                return out;
            }
            if (d != ',') {
                pos--;
                throw error("expected ',' or '}' in object");
            }
            skipWs();
            if (peek(0) == '}') { // trailing comma
                pos++;
                return out;
            }
        }
    }

    private List<Object> array() {
        final List<Object> out = new ArrayList<>();
        pos++; // [
        skipWs();
        if (peek(0) == ']') {
            pos++;
            return out;
        }
        while (true) {
            out.add(value());
            skipWs();
            final char d = peek(0);
            pos++;
            if (d == ']') {
                return out;
            }
            if (d != ',') {
                pos--;
                throw error("expected ',' or ']' in array");
            }
            skipWs();
            if (peek(0) == ']') {
                pos++;
                return out;
            }
        }
    }

    private String string() {
        final char quote = src.charAt(pos++);
        // Fast path: no escapes (the base64 weight shards are megabytes long).
        final int end = src.indexOf(quote, pos);
        if (end >= 0 && !hasBackslash(pos, end)) {
            final String s = src.substring(pos, end);
            pos = end + 1;
            return s;
        }
        final StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= src.length()) {
                throw error("unterminated string");
            }
            final char c = src.charAt(pos++);
            if (c == quote) {
                return sb.toString();
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            final char e = src.charAt(pos++);
            switch (e) {
                case 'n':
                    sb.append('\n');
                    break;
                case 't':
                    sb.append('\t');
                    break;
                case 'r':
                    sb.append('\r');
                    break;
                case 'b':
                    sb.append('\b');
                    break;
                case 'f':
                    sb.append('\f');
                    break;
                case 'v':
                    sb.append('\u000b');
                    break;
                case '0':
                    sb.append('\0');
                    break;
                case 'x':
                    sb.append((char) Integer.parseInt(src.substring(pos, pos + 2), 16));
                    pos += 2;
                    break;
                case 'u':
                    sb.append((char) Integer.parseInt(src.substring(pos, pos + 4), 16));
                    pos += 4;
                    break;
                case '\n':
                    break; // line continuation
                default:
                    sb.append(e);
            }
        }
    }

    private boolean hasBackslash(final int from, final int to) {
        for (int i = from; i < to; i++) {
            if (src.charAt(i) == '\\') {
                return true;
            }
        }
        return false;
    }

    private Double number() {
        final int start = pos;
        if (peek(0) == '-' || peek(0) == '+') {
            pos++;
        }
        if (src.startsWith("Infinity", pos)) {
            pos += "Infinity".length();
            return src.charAt(start) == '-' ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (src.startsWith("0x", pos) || src.startsWith("0X", pos)) {
            pos += 2;
            final int hs = pos;
            while (pos < src.length() && Character.digit(src.charAt(pos), 16) >= 0) {
                pos++;
            }
            final double v = Long.parseLong(src.substring(hs, pos), 16);
            return src.charAt(start) == '-' ? -v : v;
        }
        while (pos < src.length() && isNumberChar(src.charAt(pos))) {
            final char c = src.charAt(pos);
            if ((c == '-' || c == '+') && !(src.charAt(pos - 1) == 'e' || src.charAt(pos - 1) == 'E')) {
                break;
            }
            pos++;
        }
        final String t = src.substring(start, pos);
        try {
            return Double.valueOf(t);
        } catch (final NumberFormatException e) {
            pos = start;
            throw error("bad number '" + t + "'");
        }
    }

    private String numberKey() {
        final Double d = number();
        return d == Math.rint(d) && !Double.isInfinite(d) ? Long.toString(d.longValue()) : d.toString();
    }

    private static boolean isNumberChar(final char c) {
        return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+';
    }

    private String identifier() {
        final int start = pos;
        while (pos < src.length() && Character.isJavaIdentifierPart(src.charAt(pos))) {
            pos++;
        }
        return src.substring(start, pos);
    }

    private void skipWs() {
        while (pos < src.length()) {
            final char c = src.charAt(pos);
            if (Character.isWhitespace(c)) {
                pos++;
            } else if (c == '/' && peek(1) == '/') {
                final int nl = src.indexOf('\n', pos);
                pos = nl < 0 ? src.length() : nl + 1;
            } else if (c == '/' && peek(1) == '*') {
                final int endc = src.indexOf("*/", pos + 2);
                if (endc < 0) {
                    throw error("unterminated comment");
                }
                pos = endc + 2;
            } else {
                return;
            }
        }
    }

    private char peek(final int ahead) {
        final int i = pos + ahead;
        return i < src.length() ? src.charAt(i) : '\0';
    }

    private void expect(final char c) {
        if (peek(0) != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private IllegalArgumentException error(final String what) {
        final int from = Math.max(0, pos - 30);
        final int to = Math.min(src.length(), pos + 30);
        return new IllegalArgumentException(
                what + " at offset " + pos + " near '" + src.substring(from, to).replace('\n', ' ') + "'");
    }
}
