package dev.netstack.demo.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.demo.BytePattern;
import dev.netstack.tcp.TcpError;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DemoServicesTest {

    private static final long SEED = Long.getLong("demo.seed", 862_863L);

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void listensOnEchoDiscardAndHttpPortsWhenEnabled() {
        DemoHosts hosts = new DemoHosts(SEED, Map.of());
        assertEquals(List.of(7, 9, 80), hosts.demo.ports());
    }

    @Test
    void listensOnNothingWhenDisabled() {
        DemoHosts hosts = new DemoHosts(SEED, Map.of("enabled", false));
        assertEquals(List.of(), hosts.demo.ports());
        DemoHosts.Client c = hosts.run(hosts.connect(80, ascii("GET / HTTP/1.1\r\n\r\n"), false));
        assertEquals(TcpError.CONNECTION_REFUSED, c.closed);
    }

    @Test
    void echoReturnsEveryByteThenClosesAfterThePeer() {
        DemoHosts hosts = new DemoHosts(SEED, Map.of());
        byte[] data = new byte[3 << 20];
        new SplittableRandom(SEED).nextBytes(data);
        DemoHosts.Client c = hosts.run(hosts.connect(7, data, true));
        assertEquals(TcpError.NONE, c.closed);
        assertArrayEquals(data, c.bytes());
    }

    @Test
    void discardSwallowsEverythingAndClosesAfterThePeer() {
        DemoHosts hosts = new DemoHosts(SEED, Map.of());
        byte[] data = new byte[1 << 20];
        DemoHosts.Client c = hosts.run(hosts.connect(9, data, true));
        assertEquals(TcpError.NONE, c.closed);
        assertEquals(0, c.bytes().length);
        assertEquals(data.length, hosts.demo.discardedBytes());
    }

    @Test
    void bytesStreamsThePatternWithContentLength() {
        DemoHosts hosts = new DemoHosts(SEED, Map.of());
        int n = 5_000_000 + 17;
        DemoHosts.Client c = hosts.run(hosts.connect(80,
                ascii("GET /bytes/" + n + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), false));
        byte[] all = c.bytes();
        String head = headOf(all);
        assertTrue(head.startsWith("HTTP/1.1 200 OK\r\n"), head);
        assertTrue(head.contains("Content-Length: " + n + "\r\n"), head);
        assertTrue(head.contains("Connection: close\r\n"), head);
        assertEquals(n, all.length - head.length());
        assertEquals(-1, BytePattern.mismatch(all, head.length(), n, 0));
    }

    @Test
    void keepAliveAnswersPipelinedRequestsInOrder() {
        DemoHosts hosts = new DemoHosts(SEED, Map.of());
        DemoHosts.Client c = hosts.run(hosts.connect(80, ascii("GET /bytes/300 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /bytes/0 HTTP/1.1\r\nHost: x\r\n\r\n"), true));
        byte[] all = c.bytes();
        String text = c.text();
        String first = headOf(all);
        assertTrue(first.contains("Content-Length: 300\r\n") && !first.contains("Connection: close"), first);
        assertEquals(-1, BytePattern.mismatch(all, first.length(), 300, 0));
        String rest = text.substring(first.length() + 300);
        assertTrue(rest.startsWith("HTTP/1.1 404 Not Found\r\n"), rest);
        int third = rest.indexOf("HTTP/1.1 200 OK");
        assertTrue(third > 0, rest);
        assertTrue(rest.substring(third).contains("Content-Length: 0\r\n"), rest);
        assertTrue(rest.endsWith("\r\n\r\n"), "the last response has no body: " + rest);
        assertEquals(TcpError.NONE, c.closed);
    }

    @Test
    void statusPageListsCountersAndConnections() {
        DemoHosts hosts = new DemoHosts(SEED, Map.of());
        DemoHosts.Client c = hosts.run(hosts.connect(80, ascii("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), false));
        String text = c.text();
        assertTrue(text.startsWith("HTTP/1.1 200 OK\r\n"), text);
        String head = headOf(c.bytes());
        int length = Integer.parseInt(head.replaceAll("(?s).*Content-Length: (\\d+).*", "$1"));
        assertEquals(length, c.bytes().length - head.length());
        assertTrue(text.contains("tcp "), "tcp counters: " + text);
        assertTrue(text.contains("198.18.0.2:80"), "this connection: " + text);
        assertTrue(text.contains("LISTEN"), "listeners: " + text);
    }

    @Test
    void headGetsTheHeadWithoutBody() {
        DemoHosts hosts = new DemoHosts(SEED, Map.of());
        DemoHosts.Client c = hosts.run(hosts.connect(80, ascii("HEAD /bytes/1000 HTTP/1.1\r\n\r\n"), true));
        String text = c.text();
        assertTrue(text.contains("Content-Length: 1000\r\n"), text);
        assertTrue(text.endsWith("\r\n\r\n"), text);
    }

    @Test
    void otherMethodsGet405AndTheConnectionCloses() {
        DemoHosts hosts = new DemoHosts(SEED, Map.of());
        DemoHosts.Client c = hosts.run(hosts.connect(80, ascii("POST /bytes/1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"), false));
        assertTrue(c.text().startsWith("HTTP/1.1 405 Method Not Allowed\r\n"), c.text());
        assertTrue(c.text().contains("Allow: GET, HEAD\r\n"), c.text());
        assertTrue(c.eof, "server closed");
    }

    @Test
    void malformedRequestsGet400() {
        for (String request : List.of("GARBAGE\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "GET  HTTP/1.1\r\n\r\n",
                "GET /bytes/1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")) {
            DemoHosts hosts = new DemoHosts(SEED, Map.of());
            DemoHosts.Client c = hosts.run(hosts.connect(80, ascii(request), false));
            assertTrue(c.text().startsWith("HTTP/1.1 400 Bad Request\r\n"), request + " -> " + c.text());
            assertTrue(c.text().contains("Content-Length: "), c.text());
        }
    }

    @Test
    void oversizedHeadGets431() {
        DemoHosts hosts = new DemoHosts(SEED, Map.of());
        byte[] request = ascii("GET / HTTP/1.1\r\nX-Long: " + "a".repeat(HttpConnection.MAX_HEAD) + "\r\n\r\n");
        DemoHosts.Client c = hosts.run(hosts.connect(80, request, false));
        assertTrue(c.text().startsWith("HTTP/1.1 431 "), c.text());
    }

    @Test
    void http10ClosesAfterTheResponse() {
        DemoHosts hosts = new DemoHosts(SEED, Map.of());
        DemoHosts.Client c = hosts.run(hosts.connect(80, ascii("GET /bytes/10 HTTP/1.0\r\n\r\n"), false));
        assertTrue(c.text().contains("Connection: close\r\n"), c.text());
        assertTrue(c.eof);
    }

    /** The response head (through CRLFCRLF) as ISO-8859-1 text. */
    private static String headOf(byte[] all) {
        String text = new String(all, 0, Math.min(all.length, 4096), StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        assertTrue(end > 0, "no head in " + text);
        return text.substring(0, end + 4);
    }
}
