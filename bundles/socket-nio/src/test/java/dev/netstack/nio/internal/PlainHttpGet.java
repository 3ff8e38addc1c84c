package dev.netstack.nio.internal;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * An ordinary java.nio HTTP/1.0 client that knows nothing of netstack: {@code SocketChannel.open()},
 * a GET, the whole response read to end of stream. Prints the JVM's SelectorProvider class, then
 * {@code <body length> <body sha256>}, and returns from main without System.exit (the JVM must end
 * on its own). {@link BootstrapProviderTest} runs it in a child JVM whose only change is the
 * SelectorProvider system property. Arguments: host port path.
 */
public final class PlainHttpGet {

    public static void main(String[] args) throws Exception {
        ByteArrayOutputStream response = new ByteArrayOutputStream();
        try (SocketChannel ch = SocketChannel.open()) {
            ch.connect(new InetSocketAddress(args[0], Integer.parseInt(args[1])));
            ByteBuffer request = ByteBuffer.wrap(("GET " + args[2] + " HTTP/1.0\r\nHost: " + args[0] + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            while (request.hasRemaining()) {
                ch.write(request);
            }
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            while (ch.read(buffer) >= 0) {
                buffer.flip();
                response.write(buffer.array(), 0, buffer.limit());
                buffer.clear();
            }
        }
        byte[] all = response.toByteArray();
        int body = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII)) + 4;
        if (body < 4) {
            throw new IllegalStateException("no HTTP header end in " + all.length + " bytes");
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(all, body, all.length - body);
        System.out.println("provider " + java.nio.channels.spi.SelectorProvider.provider().getClass().getName());
        System.out.println((all.length - body) + " " + HexFormat.of().formatHex(sha.digest()));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
