package oxb.tomcat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.Locale;

/**
 * /echo and /echo/*: describes the request line by line, in the same format
 * as the project's AJP test server. Handles every method (WebDAV and made-up
 * ones too) because it overrides service() and never delegates to
 * HttpServlet's method dispatch.
 *
 * <p>The body is read as a stream and only its length and SHA-256 are
 * reported, so uploads of any size use a fixed buffer. With "read=N" in the
 * query only the first N bytes are read.
 *
 * <p>Output bytes: Tomcat decodes header values (and the raw URI) as
 * ISO-8859-1, so every char up to U+00FF is written back as that single byte;
 * this reproduces the bytes the client sent. Chars above U+00FF (which can
 * only come from values Tomcat decoded otherwise) are written as UTF-8.
 */
public final class EchoServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private static final String[] ATTRS = {
        "jakarta.servlet.request.cipher_suite",
        "jakarta.servlet.request.key_size",
        "jakarta.servlet.request.ssl_session_id",
        "jakarta.servlet.request.X509Certificate",
        "AJP_SSL_PROTOCOL",
    };

    /** Where Tomcat's AJP connector files the AJP_SSL_PROTOCOL attribute. */
    private static final String TOMCAT_SSL_PROTOCOL =
            "org.apache.tomcat.util.net.secure_protocol_version";

    /**
     * "read=N" in the query: read only the first N bytes of the body and
     * answer (a servlet that leaves the rest unread). Parsed by hand:
     * getParameter() would consume a form body.
     */
    private static long readLimit(String query) {
        if (query != null) {
            for (String kv : query.split("&")) {
                if (kv.startsWith("read=")) {
                    return Long.parseLong(kv.substring(5));
                }
            }
        }
        return Long.MAX_VALUE;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
        long length = 0;
        byte[] buf = new byte[Util.BUF_SIZE];
        InputStream in = req.getInputStream();
        long limit = readLimit(req.getQueryString());
        for (int n; length < limit
                && (n = in.read(buf, 0, (int) Math.min(buf.length, limit - length))) != -1; ) {
            md.update(buf, 0, n);
            length += n;
        }

        StringBuilder sb = new StringBuilder(1024);
        line(sb, "method", req.getMethod());
        line(sb, "uri", req.getRequestURI());
        if (req.getQueryString() != null) {
            line(sb, "query", req.getQueryString());
        }
        line(sb, "protocol", req.getProtocol());
        line(sb, "remote-addr", req.getRemoteAddr());
        line(sb, "remote-host", req.getRemoteHost());
        line(sb, "remote-port", Integer.toString(req.getRemotePort()));
        line(sb, "local-addr", req.getLocalAddr());
        line(sb, "server-name", req.getServerName());
        line(sb, "server-port", Integer.toString(req.getServerPort()));
        line(sb, "is-ssl", req.isSecure() ? "1" : "0");
        line(sb, "scheme", req.getScheme());
        if (req.getRemoteUser() != null) {
            line(sb, "remote-user", req.getRemoteUser());
        }
        if (req.getAuthType() != null) {
            line(sb, "auth-type", req.getAuthType());
        }
        line(sb, "route", Util.route());
        String sid = req.getRequestedSessionId();
        line(sb, "session", sid == null ? "" : sid);

        for (String name : Collections.list(req.getHeaderNames())) {
            String lname = name.toLowerCase(Locale.ROOT);
            for (String value : Collections.list(req.getHeaders(name))) {
                sb.append("header: ").append(lname).append(": ").append(value).append('\n');
            }
        }

        for (String name : ATTRS) {
            Object v = req.getAttribute(name);
            if (v == null && "AJP_SSL_PROTOCOL".equals(name)) {
                v = req.getAttribute(TOMCAT_SSL_PROTOCOL);
            }
            if (v == null) {
                continue;
            }
            String s;
            if (v instanceof X509Certificate[]) {
                X509Certificate[] chain = (X509Certificate[]) v;
                if (chain.length == 0) {
                    continue;
                }
                s = chain[0].getSubjectX500Principal().getName();
            } else {
                s = v.toString();
            }
            sb.append("attr: ").append(name).append('=').append(s).append('\n');
        }

        line(sb, "body-length", Long.toString(length));
        line(sb, "body-sha256", hex(md.digest()));

        byte[] out = encode(sb);
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType(Util.TEXT);
        resp.setContentLength(out.length);
        resp.getOutputStream().write(out);
    }

    private static void line(StringBuilder sb, String key, String value) {
        sb.append(key).append(": ").append(value == null ? "" : value).append('\n');
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
        }
        return sb.toString();
    }

    /** Latin-1 byte per char up to U+00FF, UTF-8 above (see class comment). */
    private static byte[] encode(CharSequence s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() + 16);
        for (int i = 0; i < s.length(); ) {
            int cp = Character.codePointAt(s, i);
            i += Character.charCount(cp);
            if (cp <= 0xFF) {
                out.write(cp);
            } else {
                byte[] u = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                out.write(u, 0, u.length);
            }
        }
        return out.toByteArray();
    }
}
