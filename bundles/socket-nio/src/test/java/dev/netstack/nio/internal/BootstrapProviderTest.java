package dev.netstack.nio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netstack.nio.NetstackSelectorProvider;
import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An unmodified NIO client ({@link PlainHttpGet}) in a child JVM that only names the provider and
 * the {@code netstack.*} bootstrap properties: its stack opens a TAP in a namespace made for the
 * test and fetches a random file from the kernel's {@code python3 -m http.server}. Root only.
 *
 * <pre>
 *   namespace nsr-PID-N:  kernel tap1 198.18.77.1/24 + http.server :8000  ══ TAP ══  child JVM stack 198.18.77.2/24
 * </pre>
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BootstrapProviderTest {

    private static final String PREFIX = "nsr-";
    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final String JAVA = "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java";

    @Test
    void plainSocketChannelClientInAChildJvmFetchesAFileThroughTheBootstrappedStack() throws Exception {
        assumeTrue(NetNs.available(), "needs root and iproute2");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun");
        assumeTrue(Files.isExecutable(Path.of(JAVA)), "needs " + JAVA);
        assumeTrue(Exec.run(Duration.ofSeconds(5), "sh", "-c", "command -v python3").ok(), "needs python3");
        NetNs.cleanup(PREFIX);
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(seed).nextBytes(data);
        String want = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        Path dir = Files.createTempDirectory("nsr-http");
        Files.write(dir.resolve("random.bin"), data);
        NetNs ns = NetNs.create(PREFIX);
        Process server = null;
        try {
            ns.ip("link", "set", "lo", "up");
            server = new ProcessBuilder(ns.prefixCommand("python3", "-m", "http.server", "8000", "--bind", "0.0.0.0",
                    "--directory", dir.toString())).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("server.log").toFile()).start();
            assertTrue(NetNs.await(() -> ns.exec(Duration.ofSeconds(5), "sh", "-c",
                    "ss -ltn | grep -q ':8000 '").ok(), Duration.ofSeconds(10)), "http.server listens");
            List<String> command = new ArrayList<>(List.of(JAVA, "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"),
                    "-Djava.nio.channels.spi.SelectorProvider=" + NetstackSelectorProvider.class.getName(),
                    "-Dnetstack.tap=tap1", "-Dnetstack.address=198.18.77.2/24",
                    "-Dnetstack.hostAddress=198.18.77.1/24", "-Dnetstack.gateway=198.18.77.1",
                    PlainHttpGet.class.getName(), "198.18.77.1", "8000", "/random.bin"));
            Exec.Result child = Exec.run(TIMEOUT, ns.prefixCommand(command.toArray(String[]::new)));
            System.out.println(child.stdout());
            assertTrue(child.ok(), child.toString());
            assertTrue(child.stdout().contains("provider " + NetstackSelectorProvider.class.getName()),
                    "the child's channels came from the netstack provider: " + child);
            String last = child.stdout().strip().lines().reduce((a, b) -> b).orElse("");
            assertEquals(data.length + " " + want, last, "length and sha256 of the body");
        } finally {
            if (server != null) {
                server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            ns.close();
            delete(dir);
        }
    }

    private static void delete(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }
}
