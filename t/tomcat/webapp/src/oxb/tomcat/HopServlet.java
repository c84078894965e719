package oxb.tomcat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * /hop?name=N: a response whose Connection header names a header of its own
 * (RFC 9110 7.6.1): "Connection: N", "N: hop" and "X-End-To-End: kept".
 * A proxy must drop N and keep X-End-To-End. Body "hop".
 */
public final class HopServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String name = req.getParameter("name");
        if (name == null || name.isEmpty()) {
            name = "X-Hop";
        }
        byte[] body = "hop\n".getBytes(StandardCharsets.US_ASCII);
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType(Util.TEXT);
        resp.setHeader("Connection", name);
        resp.setHeader(name, "hop");
        resp.setHeader("X-End-To-End", "kept");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
