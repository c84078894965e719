package oxb.tomcat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * /lying-length?way=longer: declares Content-Length 5 and writes "hello"
 * followed by a whole HTTP response ("INJECTED"). way=shorter: declares 100
 * and writes 6 bytes. Tomcat passes both to an AJP proxy as they are.
 */
public final class LyingLengthServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private static final byte[] LONGER = ("hello"
            + "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nINJECTED\n")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SHORTER = "short\n".getBytes(StandardCharsets.US_ASCII);

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        boolean longer = !"shorter".equals(Util.query(req).get("way"));
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType(Util.TEXT);
        resp.setContentLength(longer ? 5 : 100);
        OutputStream out = resp.getOutputStream();
        out.write(longer ? LONGER : SHORTER);
    }
}
