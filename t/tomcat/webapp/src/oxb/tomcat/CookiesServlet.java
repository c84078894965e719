package oxb.tomcat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/** /cookies?n=K: K separate Set-Cookie headers c1=v1 .. cK=vK (default K=1). */
public final class CookiesServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private static final long MAX = 100_000;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        long n = Util.parseLong(Util.query(req).get("n"), 1);
        if (n < 0 || n > MAX) {
            Util.badRequest(resp, "n=K required (0.." + MAX + ")");
            return;
        }
        for (long i = 1; i <= n; i++) {
            resp.addHeader("Set-Cookie", "c" + i + "=v" + i + "; Path=/");
        }
        Util.text(resp, HttpServletResponse.SC_OK, "cookies " + n + "\n");
    }
}
