package oxb.tomcat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/** /slow?ms=N: sleeps N ms (default 1000), then answers "slow\n". */
public final class SlowServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        long ms = Util.parseLong(Util.query(req).get("ms"), 1000);
        if (ms < 0) {
            Util.badRequest(resp, "ms=N required");
            return;
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        Util.text(resp, HttpServletResponse.SC_OK, "slow\n");
    }
}
