package oxb.tomcat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * /flush-sleep?what=body|whole|head&(ms=N|gate=G): a servlet that flushes,
 * then pauses (N ms, default 1000; or until /flush-sleep?open=G, at most
 * 30 s) before it goes on. body: writes "flushed\n", flushes (AJP: the
 * head, a body chunk, an empty chunk), pauses, writes "done\n". whole: its
 * whole response, "flushed\n" with Content-Length, then flush and pause.
 * head: flushBuffer() with nothing written (the head alone), pause, "done\n".
 */
public final class FlushSleepServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private static final byte[] FLUSHED = "flushed\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "done\n".getBytes(StandardCharsets.US_ASCII);

    private static final Map<String, CountDownLatch> GATES = new ConcurrentHashMap<>();

    private static CountDownLatch gate(String name) {
        return GATES.computeIfAbsent(name, k -> new CountDownLatch(1));
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Map<String, String> q = Util.query(req);
        if (q.containsKey("open")) {
            gate(q.get("open")).countDown();
            Util.text(resp, HttpServletResponse.SC_OK, "opened\n");
            return;
        }
        long ms = Util.parseLong(q.get("ms"), 1000);
        String what = q.getOrDefault("what", "body");
        if (ms < 0 || !(what.equals("body") || what.equals("whole") || what.equals("head"))) {
            Util.badRequest(resp, "what=body|whole|head, ms=N or gate=G, or open=G");
            return;
        }
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType(Util.TEXT);
        if (what.equals("whole")) {
            resp.setContentLength(FLUSHED.length);
        }
        OutputStream out = resp.getOutputStream();
        if (!what.equals("head")) {
            out.write(FLUSHED);
        }
        out.flush();
        try {
            String name = q.get("gate");
            if (name != null) {
                gate(name).await(30, TimeUnit.SECONDS);
                GATES.remove(name);
            } else {
                Thread.sleep(ms);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (!what.equals("whole")) {
            out.write(DONE);
        }
    }
}
