package dev.netstack.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpResponseTest {

    private static InputStream in(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String body(String response) throws IOException {
        InputStream in = in(response);
        HttpResponse r = HttpResponse.readHead(in);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.copyBody(in, out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void contentLengthBodyStopsAtItsLength() throws IOException {
        assertEquals("hello", body("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and more"));
    }

    @Test
    void chunkedBodyIsReassembledAndTrailersSkipped() throws IOException {
        assertEquals("Wikipedia in\r\n\r\nchunks.", body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n"));
    }

    @Test
    void bodyWithoutFramingRunsToTheEnd() throws IOException {
        assertEquals("all of it", body("HTTP/1.0 200 OK\nServer: x\n\nall of it"));
    }

    @Test
    void interimResponsesAreSkipped() throws IOException {
        InputStream in = in("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        HttpResponse r = HttpResponse.readHead(in);
        assertEquals(404, r.status());
        assertEquals("Not Found", r.reason());
    }

    @Test
    void truncatedBodyAndHeadFail() {
        assertThrows(EOFException.class, () -> body("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"));
        assertThrows(EOFException.class, () -> HttpResponse.readHead(in("HTTP/1.1 200 OK\r\nContent-Le")));
        assertThrows(IOException.class, () -> HttpResponse.readHead(in("SSH-2.0-OpenSSH\r\n\r\n")));
    }

    @Test
    void binaryBodyBytesArePreserved() throws IOException {
        byte[] payload = new byte[256];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) i;
        }
        ByteArrayOutputStream response = new ByteArrayOutputStream();
        response.writeBytes("HTTP/1.1 200 OK\r\nContent-Length: 256\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        response.writeBytes(payload);
        InputStream in = new ByteArrayInputStream(response.toByteArray());
        HttpResponse r = HttpResponse.readHead(in);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(256, r.copyBody(in, out));
        assertArrayEquals(payload, out.toByteArray());
    }
}
