package oxb.tomcat;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.sql.SQLException;

/**
 * /oxs/*: sessions as Open-Xchange keeps them with distributed session
 * storage, in the shared {@link SessionStore} instead of Tomcat's per-node
 * session manager.
 *
 * <ul>
 * <li>/oxs/login?user=U: a new session; cookie JSESSIONID=&lt;id&gt;.&lt;this route&gt;.
 * <li>/oxs/data: the session named by the JSESSIONID cookie (its id part is
 * looked up in the store): 401 "login required" if unknown; otherwise its
 * counter goes up by one and the answer names user, counter and node. If the
 * cookie's route is another node's, the session is served all the same and
 * re-issued under this node's route (same id, new cookie), as OX does, so that
 * the balancer's stickiness follows it.
 * <li>/oxs/logout: removes the session.
 * </ul>
 * Without a store (oxb-tomcat started without --session-db) every path
 * answers 503 "no session store".
 */
public final class OxSessionServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        SessionStore store;
        try {
            store = SessionStore.get();
        } catch (IOException e) {
            Util.text(resp, HttpServletResponse.SC_SERVICE_UNAVAILABLE, "session store misconfigured: " + e.getMessage() + "\n");
            return;
        }
        if (store == null) {
            Util.text(resp, HttpServletResponse.SC_SERVICE_UNAVAILABLE, "no session store\n");
            return;
        }
        String what = req.getPathInfo() == null ? "" : req.getPathInfo();
        try {
            switch (what) {
                case "/login":
                    login(store, req, resp);
                    break;
                case "/data":
                    data(store, req, resp);
                    break;
                case "/logout":
                    logout(store, req, resp);
                    break;
                default:
                    Util.text(resp, HttpServletResponse.SC_NOT_FOUND, "no such thing: /oxs" + what + "\n");
                    break;
            }
        } catch (SQLException e) {
            Util.text(resp, HttpServletResponse.SC_SERVICE_UNAVAILABLE, "session store unavailable: " + e.getMessage() + "\n");
        }
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        doGet(req, resp);
    }

    private static void login(SessionStore store, HttpServletRequest req, HttpServletResponse resp)
            throws IOException, SQLException {
        String user = Util.query(req).get("user");
        if (user == null || user.isEmpty() || user.length() > 200) {
            Util.badRequest(resp, "user=NAME (1 to 200 characters) is required");
            return;
        }
        SessionStore.Session s = store.create(user, Util.route());
        setCookie(resp, s.id + "." + s.route);
        Util.text(resp, HttpServletResponse.SC_OK, describe(s, false));
    }

    private static void data(SessionStore store, HttpServletRequest req, HttpServletResponse resp)
            throws IOException, SQLException {
        String cookie = sessionCookie(req);
        int dot = cookie == null ? -1 : cookie.lastIndexOf('.');
        if (dot <= 0) {
            Util.text(resp, HttpServletResponse.SC_UNAUTHORIZED, "login required: no session\n");
            return;
        }
        String id = cookie.substring(0, dot);
        String cookieRoute = cookie.substring(dot + 1);
        String here = Util.route();
        SessionStore.Session s = store.use(id, here);
        if (s == null) {
            Util.text(resp, HttpServletResponse.SC_UNAUTHORIZED, "login required: unknown session " + id + "\n");
            return;
        }
        boolean reissue = !here.equals(cookieRoute);
        if (reissue) {
            setCookie(resp, s.id + "." + here);
        }
        Util.text(resp, HttpServletResponse.SC_OK, describe(s, reissue));
    }

    private static void logout(SessionStore store, HttpServletRequest req, HttpServletResponse resp)
            throws IOException, SQLException {
        String cookie = sessionCookie(req);
        int dot = cookie == null ? -1 : cookie.lastIndexOf('.');
        boolean had = dot > 0 && store.remove(cookie.substring(0, dot));
        resp.addHeader("Set-Cookie", "JSESSIONID=; Path=/; Max-Age=0");
        Util.text(resp, HttpServletResponse.SC_OK, had ? "logged out\n" : "no session\n");
    }

    /** The first JSESSIONID cookie's value, or null. */
    private static String sessionCookie(HttpServletRequest req) {
        Cookie[] cookies = req.getCookies();
        if (cookies != null) {
            for (Cookie c : cookies) {
                if ("JSESSIONID".equals(c.getName())) {
                    return c.getValue();
                }
            }
        }
        return null;
    }

    private static void setCookie(HttpServletResponse resp, String value) {
        resp.addHeader("Set-Cookie", "JSESSIONID=" + value + "; Path=/");
    }

    private static String describe(SessionStore.Session s, boolean reissued) {
        return "user=" + s.user + " counter=" + s.counter + " node=" + Util.route() + " created=" + s.createdOn
                + " moves=" + s.moves + " reissued=" + (reissued ? 1 : 0) + " session=" + s.id + "." + Util.route() + "\n";
    }
}
