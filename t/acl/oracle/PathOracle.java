package oxb.oracle;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * For t/acl/tomcat-oracle: mapped at "/" (so it sees every path Tomcat
 * accepts) and at the protected prefixes. Answers which url-pattern Tomcat's
 * mapper chose and the path it resolved (servlet path + path info: decoded,
 * normalised, parameters removed), hex-encoded so no byte is lost.
 */
public final class PathOracle extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String info = req.getPathInfo();
        String path = req.getServletPath() + (info == null ? "" : info);
        StringBuilder hex = new StringBuilder();
        for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
            hex.append(String.format("%02x", b & 0xff));
        }
        byte[] body = ("mapping=" + req.getHttpServletMapping().getPattern() + "\npath=" + hex + "\n")
                .getBytes(StandardCharsets.UTF_8);
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType("text/plain;charset=UTF-8");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
