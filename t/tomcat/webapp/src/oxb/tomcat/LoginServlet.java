package oxb.tomcat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * /login: creates (or reuses) a session and bumps a counter stored in it. The
 * JSESSIONID cookie Tomcat sets ends in ".&lt;jvmRoute&gt;".
 */
public final class LoginServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    static final String COUNTER = "oxb.counter";

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        HttpSession s = req.getSession(true);
        AtomicLong c;
        synchronized (s) {
            c = (AtomicLong) s.getAttribute(COUNTER);
            if (c == null) {
                c = new AtomicLong();
                s.setAttribute(COUNTER, c);
            }
        }
        c.incrementAndGet();
        Util.text(resp, HttpServletResponse.SC_OK, "session=" + s.getId() + " route=" + Util.route() + "\n");
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        doGet(req, resp);
    }
}
