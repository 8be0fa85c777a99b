package dev.scissor.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Bearer-token checks of {@link HttpService}: SHA-256 digests compared in constant time. */
final class BearerTokens {

    private BearerTokens() {}

    /** Whether an Authorization header carries the token: digests compared in constant time. */
    static boolean authorized(final String header, final byte[] required) {
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(sha256(header.substring(7).strip()), required);
    }

    static byte[] sha256(final String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
