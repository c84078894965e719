package oxb.tomcat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/** /status?code=N (any method): answers with status N; 204 and 304 have no body. */
public final class StatusServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        long code = Util.parseLong(Util.query(req).get("code"), -1);
        if (code < 200 || code > 999) {
            Util.badRequest(resp, "code=N required (200..999)");
            return;
        }
        int c = (int) code;
        if (c == HttpServletResponse.SC_NO_CONTENT || c == HttpServletResponse.SC_NOT_MODIFIED) {
            resp.setStatus(c);
            return;
        }
        Util.text(resp, c, "status " + c + "\n");
    }
}
