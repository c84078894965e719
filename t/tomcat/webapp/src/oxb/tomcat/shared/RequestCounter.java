package oxb.tomcat.shared;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts every request this JVM serves, in every context (ROOT and /webdav).
 *
 * <p>oxb-tomcat installs this class in CATALINA_BASE/lib (Tomcat's common
 * class loader) and keeps it out of WEB-INF/classes, so both web applications
 * share one class and therefore one counter.
 *
 * <p>Requests to /stats and /stats/* are not counted, so that reading or
 * resetting the counters does not disturb them.
 */
public final class RequestCounter implements Filter {

    private static final AtomicLong TOTAL = new AtomicLong();

    public static long total() {
        return TOTAL.get();
    }

    public static void reset() {
        TOTAL.set(0);
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        if (!isStats(req)) {
            // Counted on entry: once a client has seen the response, the
            // request is already in the total.
            TOTAL.incrementAndGet();
        }
        chain.doFilter(req, resp);
    }

    private static boolean isStats(ServletRequest req) {
        if (!(req instanceof HttpServletRequest)) {
            return false;
        }
        HttpServletRequest h = (HttpServletRequest) req;
        return h.getContextPath().isEmpty() && "/stats".equals(h.getServletPath());
    }
}
