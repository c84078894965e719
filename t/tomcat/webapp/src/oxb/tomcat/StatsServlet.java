package oxb.tomcat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

import oxb.tomcat.shared.RequestCounter;

/**
 * GET /stats: "route=R requests=N whoami=W\n", where N counts every request
 * this JVM served since start or the last reset (all servlets, both contexts,
 * except /stats itself) and W the /whoami requests among them.
 * POST /stats/reset: zeroes both.
 */
public final class StatsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo();
        String method = req.getMethod();
        if (path == null || "/".equals(path)) {
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                resp.setHeader("Allow", "GET, HEAD");
                Util.text(resp, HttpServletResponse.SC_METHOD_NOT_ALLOWED, "use GET\n");
                return;
            }
            Util.text(resp, HttpServletResponse.SC_OK,
                    "route=" + Util.route()
                    + " requests=" + RequestCounter.total()
                    + " whoami=" + WhoamiServlet.COUNT.get() + "\n");
        } else if ("/reset".equals(path)) {
            if (!"POST".equals(method)) {
                resp.setHeader("Allow", "POST");
                Util.text(resp, HttpServletResponse.SC_METHOD_NOT_ALLOWED, "use POST\n");
                return;
            }
            RequestCounter.reset();
            WhoamiServlet.COUNT.set(0);
            Util.text(resp, HttpServletResponse.SC_OK, "reset route=" + Util.route() + "\n");
        } else {
            Util.text(resp, HttpServletResponse.SC_NOT_FOUND, "not found\n");
        }
    }
}
