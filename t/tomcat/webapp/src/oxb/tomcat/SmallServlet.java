package oxb.tomcat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.Arrays;

/** /small: exactly 200 bytes ('x' * 199 + '\n') with Content-Length; no session. */
public final class SmallServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private static final byte[] BODY = new byte[200];

    static {
        Arrays.fill(BODY, (byte) 'x');
        BODY[BODY.length - 1] = '\n';
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType(Util.TEXT);
        resp.setContentLength(BODY.length);
        resp.getOutputStream().write(BODY);
    }
}
