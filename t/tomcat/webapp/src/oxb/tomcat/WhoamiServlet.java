package oxb.tomcat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * /whoami: which instance answered and what it thinks of the session the
 * client sent. Never creates a session. Counts its requests (this JVM is one
 * route, so a static counter is the per-route count; see /stats).
 */
public final class WhoamiServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    static final AtomicLong COUNT = new AtomicLong();

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        COUNT.incrementAndGet();
        HttpSession s = req.getSession(false);
        String requested = req.getRequestedSessionId();
        Util.text(resp, HttpServletResponse.SC_OK,
                "route=" + Util.route()
                + " session=" + (s == null ? "none" : s.getId())
                + " requested=" + (requested == null ? "none" : requested)
                + " valid=" + req.isRequestedSessionIdValid() + "\n");
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        doGet(req, resp);
    }
}
