package oxb.tomcat;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Small helpers shared by the test servlets. */
final class Util {

    /** Read/write buffer size for streaming bodies. */
    static final int BUF_SIZE = 64 * 1024;

    static final String TEXT = "text/plain;charset=UTF-8";

    private Util() {
    }

    /** The instance name given to the JVM as -Doxb.route (same as jvmRoute). */
    static String route() {
        return System.getProperty("oxb.route", "");
    }

    /**
     * Parses the query string without touching the request body (unlike
     * getParameter(), which would consume a form-encoded body). The first
     * occurrence of a name wins.
     */
    static Map<String, String> query(HttpServletRequest req) {
        Map<String, String> out = new HashMap<>();
        String qs = req.getQueryString();
        if (qs == null || qs.isEmpty()) {
            return out;
        }
        for (String part : qs.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String k = eq < 0 ? part : part.substring(0, eq);
            String v = eq < 0 ? "" : part.substring(eq + 1);
            try {
                k = URLDecoder.decode(k, StandardCharsets.UTF_8);
                v = URLDecoder.decode(v, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                // keep the raw text
            }
            out.putIfAbsent(k, v);
        }
        return out;
    }

    /**
     * Parses a byte count: decimal digits with an optional binary suffix K, M,
     * G or T (either case), like t/tools/oxb_pattern.h. Returns -1 on errors.
     */
    static long parseSize(String s) {
        if (s == null || s.isEmpty()) {
            return -1;
        }
        int shift = 0;
        switch (Character.toLowerCase(s.charAt(s.length() - 1))) {
            case 'k': shift = 10; break;
            case 'm': shift = 20; break;
            case 'g': shift = 30; break;
            case 't': shift = 40; break;
            default: break;
        }
        if (shift != 0) {
            s = s.substring(0, s.length() - 1);
        }
        if (s.isEmpty() || s.length() > 19) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        if (v > (Long.MAX_VALUE >> shift)) {
            return -1;
        }
        return v << shift;
    }

    /** Parses a non-negative int parameter; def if absent, -1 if malformed. */
    static long parseLong(String s, long def) {
        if (s == null) {
            return def;
        }
        try {
            long v = Long.parseLong(s);
            return v < 0 ? -1 : v;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Sends a complete text/plain UTF-8 response with Content-Length. */
    static void text(HttpServletResponse resp, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType(TEXT);
        resp.setContentLength(b.length);
        resp.getOutputStream().write(b);
    }

    static void badRequest(HttpServletResponse resp, String why) throws IOException {
        text(resp, HttpServletResponse.SC_BAD_REQUEST, "bad request: " + why + "\n");
    }
}
