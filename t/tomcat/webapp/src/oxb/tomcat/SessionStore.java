package oxb.tomcat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.LinkedBlockingDeque;

/**
 * OX-style distributed session storage for the test webapp: sessions live in
 * one MariaDB table that every node (every oxb-tomcat instance) shares, so any
 * node can serve any session, as OX nodes do with Hazelcast or Redis.
 *
 * <p>Settings come from the properties file named by -Doxb.sessiondb (url,
 * user, password), which oxb-tomcat writes for --session-db. Without it there
 * is no store and {@link #get()} returns null. The table is oxs_sessions (see
 * t/tomcat/oxs-sessions.sql). Connections are kept in a small idle pool.
 */
final class SessionStore {

    /** One row of oxs_sessions. */
    static final class Session {
        String id;
        String user;
        long counter;
        String route;
        String createdOn;
        int moves;
    }

    private static final int MAX_IDLE = 16;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static volatile SessionStore instance;
    private static volatile boolean configured;

    private final String url;
    private final Properties login = new Properties();
    private final LinkedBlockingDeque<Connection> idle = new LinkedBlockingDeque<>();

    private SessionStore(Properties p) throws IOException {
        try {
            // Registers itself; DriverManager's own service lookup may have
            // run before, without Tomcat's lib/ on its class path.
            Class.forName("org.mariadb.jdbc.Driver");
        } catch (ClassNotFoundException e) {
            throw new IOException("no MariaDB JDBC driver in Tomcat's lib/", e);
        }
        url = p.getProperty("url");
        login.setProperty("user", p.getProperty("user", ""));
        login.setProperty("password", p.getProperty("password", ""));
    }

    /** The store, or null when this instance was started without one. */
    static SessionStore get() throws IOException {
        if (!configured) {
            synchronized (SessionStore.class) {
                if (!configured) {
                    String file = System.getProperty("oxb.sessiondb", "");
                    if (!file.isEmpty()) {
                        Properties p = new Properties();
                        try (InputStream in = Files.newInputStream(Paths.get(file))) {
                            p.load(in);
                        }
                        if (p.getProperty("url") == null) {
                            throw new IOException(file + ": no url");
                        }
                        instance = new SessionStore(p);
                    }
                    configured = true;
                }
            }
        }
        return instance;
    }

    /** A new OX-style session id: decimal digits (the route is added by the caller). */
    static String newId() {
        long v = RANDOM.nextLong() & Long.MAX_VALUE;
        return Long.toString(v | 1L << 61);
    }

    /** Creates a session for user on route; returns it. */
    Session create(String user, String route) throws SQLException {
        Connection c = borrow();
        try {
            Session s = new Session();
            s.user = user;
            s.route = route;
            s.createdOn = route;
            for (int attempt = 0; ; attempt++) {
                s.id = newId();
                try (PreparedStatement st = c.prepareStatement(
                        "INSERT INTO oxs_sessions (id, user, counter, route, created_on, moves) VALUES (?, ?, 0, ?, ?, 0)")) {
                    st.setString(1, s.id);
                    st.setString(2, user);
                    st.setString(3, route);
                    st.setString(4, route);
                    st.executeUpdate();
                    break;
                } catch (java.sql.SQLIntegrityConstraintViolationException e) {
                    if (attempt >= 3) {
                        throw e;
                    }
                }
            }
            giveBack(c);
            return s;
        } catch (SQLException e) {
            discard(c);
            throw e;
        }
    }

    /**
     * Serves one request of session id on route: counts it and records route
     * as the node that holds the session now (a move if it was another).
     * Returns the updated session, or null if there is no such session.
     */
    Session use(String id, String route) throws SQLException {
        Connection c = borrow();
        try {
            c.setAutoCommit(false);
            Session s = null;
            try (PreparedStatement st = c.prepareStatement(
                    "SELECT user, counter, route, created_on, moves FROM oxs_sessions WHERE id = ? FOR UPDATE")) {
                st.setString(1, id);
                try (ResultSet rs = st.executeQuery()) {
                    if (rs.next()) {
                        s = new Session();
                        s.id = id;
                        s.user = rs.getString(1);
                        s.counter = rs.getLong(2);
                        s.route = rs.getString(3);
                        s.createdOn = rs.getString(4);
                        s.moves = rs.getInt(5);
                    }
                }
            }
            if (s != null) {
                s.counter++;
                if (!route.equals(s.route)) {
                    s.moves++;
                    s.route = route;
                }
                try (PreparedStatement st = c.prepareStatement(
                        "UPDATE oxs_sessions SET counter = ?, route = ?, moves = ? WHERE id = ?")) {
                    st.setLong(1, s.counter);
                    st.setString(2, s.route);
                    st.setInt(3, s.moves);
                    st.setString(4, id);
                    st.executeUpdate();
                }
            }
            c.commit();
            c.setAutoCommit(true);
            giveBack(c);
            return s;
        } catch (SQLException e) {
            discard(c);
            throw e;
        }
    }

    /** Removes a session; returns whether it existed. */
    boolean remove(String id) throws SQLException {
        Connection c = borrow();
        try {
            int n;
            try (PreparedStatement st = c.prepareStatement("DELETE FROM oxs_sessions WHERE id = ?")) {
                st.setString(1, id);
                n = st.executeUpdate();
            }
            giveBack(c);
            return n > 0;
        } catch (SQLException e) {
            discard(c);
            throw e;
        }
    }

    private Connection borrow() throws SQLException {
        Connection c = idle.pollFirst();
        if (c != null) {
            return c;
        }
        return DriverManager.getConnection(url, login);
    }

    private void giveBack(Connection c) {
        if (idle.size() >= MAX_IDLE || !idle.offerFirst(c)) {
            discard(c);
        }
    }

    private static void discard(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            // gone anyway
        }
    }
}
