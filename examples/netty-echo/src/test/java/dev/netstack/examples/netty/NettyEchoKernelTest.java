package dev.netstack.examples.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netstack.embedded.NetStack;
import dev.netstack.nio.NetstackSelectorProvider;
import dev.netstack.nio.internal.EmbeddedBootstrap;
import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Netty echo server on an embedded stack whose TAP is in a namespace made for the test; the
 * kernel's {@code nc} and {@code socat} are the clients. Root only. 198.18.76.0/24:
 *
 * <pre>
 *   namespace nsr-PID-N:  kernel tap0 198.18.76.1/24  ══ TAP ══  stack 198.18.76.2/24 + Netty :7007
 * </pre>
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NettyEchoKernelTest {

    private static final String PREFIX = "nsr-";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void kernelNcAndSocatGetTheirBytesBackIntact() throws Exception {
        assumeTrue(NetNs.available(), "needs root and iproute2");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun");
        assumeTrue(Exec.run(Duration.ofSeconds(5), "sh", "-c", "command -v nc && command -v socat").ok(),
                "needs nc and socat");
        NetNs.cleanup(PREFIX);
        NetNs ns = NetNs.create(PREFIX);
        Path dir = Files.createTempDirectory("nsr-echo");
        EmbeddedBootstrap.Stack stack = null;
        try {
            stack = EmbeddedBootstrap.start(NetStack.builder().tap("tap0").namespace(ns.name())
                    .hostAddress("198.18.76.1/24").address("198.18.76.2/24").mac("02:00:5e:12:00:02").idle("poll"));
            try (NettyEchoServer server = new NettyEchoServer(new NetstackSelectorProvider(stack.sockets()),
                    new InetSocketAddress("198.18.76.2", 7007))) {
                Exec.Result hello = ns.exec(TIMEOUT, "sh", "-c", "printf 'hello\\n' | nc -N -w 5 198.18.76.2 7007");
                System.out.println("nc: " + hello);
                assertTrue(hello.ok(), hello.toString());
                assertEquals("hello\n", hello.stdout(), "nc's line echoed");

                Path in = dir.resolve("in.bin");
                Path out = dir.resolve("out.bin");
                Exec.run(TIMEOUT, "dd", "if=/dev/urandom", "of=" + in, "bs=1M", "count=2").check();
                // shut-none: the echo server closes on end of input, so the client half-closes only
                // 3 s after its input ended (-t), time enough for the echo to come back.
                long startNs = System.nanoTime();
                Exec.Result bulk = ns.exec(TIMEOUT, "socat", "-t", "3",
                        "TCP:198.18.76.2:7007,shut-none", "OPEN:" + in + ",rdonly!!OPEN:" + out + ",creat,trunc,wronly");
                System.out.println("socat: " + bulk + " in " + (System.nanoTime() - startNs) / 1_000_000 + " ms");
                assertTrue(bulk.ok(), bulk.toString());
                String want = Exec.run(TIMEOUT, "sha256sum", in.toString()).check().stdout().split(" ")[0];
                String got = Exec.run(TIMEOUT, "sha256sum", out.toString()).check().stdout().split(" ")[0];
                System.out.println("socat 2 MiB through the Netty echo: " + Files.size(out) + " bytes back, sha256 " + got);
                assertEquals(Files.size(in), Files.size(out), "all bytes echoed");
                assertEquals(want, got, "bytes echoed intact");
            }
        } finally {
            if (stack != null) {
                stack.netStack().close();
            }
            ns.close();
            Exec.run(TIMEOUT, "rm", "-rf", dir.toString());
        }
    }
}
