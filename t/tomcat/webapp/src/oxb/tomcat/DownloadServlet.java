package oxb.tomcat;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * /download?bytes=N[&amp;cl=0]: the first N bytes of the test pattern (N may
 * carry a K/M/G/T binary suffix). Sent with Content-Length unless cl=0.
 * Memory use is one 64 KiB buffer per concurrent download whatever N is; the
 * buffers are pooled (not ThreadLocal, which Tomcat reports as a leak when
 * the webapp stops).
 */
public final class DownloadServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private static final ArrayBlockingQueue<TestPattern> POOL = new ArrayBlockingQueue<>(64);

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Map<String, String> q = Util.query(req);
        long n = Util.parseSize(q.get("bytes"));
        if (n < 0) {
            Util.badRequest(resp, "bytes=N required (decimal, optional K/M/G/T suffix)");
            return;
        }
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType(Util.TEXT);
        if (!"0".equals(q.get("cl"))) {
            resp.setContentLengthLong(n);
        }
        if ("HEAD".equals(req.getMethod())) {
            return;
        }
        TestPattern pattern = POOL.poll();
        if (pattern == null) {
            pattern = new TestPattern();
        }
        try {
            ServletOutputStream out = resp.getOutputStream();
            for (long off = 0; off < n; off += TestPattern.CHUNK) {
                byte[] chunk = pattern.chunk(off);
                out.write(chunk, 0, (int) Math.min(TestPattern.CHUNK, n - off));
            }
        } finally {
            POOL.offer(pattern); // dropped if the pool is full
        }
    }
}
