package dev.netstack.runtime.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs only as root with {@code ip} on the PATH; creates and deletes namespaces named {@code nsb-*}. */
class NetNamespaceTest {

    private static final String PREFIX = "nsb-rt-";

    @BeforeAll
    static void requireRootAndIp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        assumeTrue(run("ip", "netns", "list") == 0, "needs iproute2");
        deleteLeftovers();
    }

    @Test
    void enterMovesOnlyTheCallingThreadAndCloseReturnsIt() throws Exception {
        String name = PREFIX + ProcessHandle.current().pid();
        assertEquals(0, run("ip", "netns", "add", name));
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().unstarted(r));
        try {
            Path self = Path.of("/proc/thread-self/ns/net");
            Object namespaceInode = Files.getAttribute(Path.of(NetNamespace.NETNS_DIR + name), "unix:ino");
            String outside = Files.readSymbolicLink(self).toString();
            String[] seen = thread.submit(() -> {
                String inside;
                try (NetNamespace ns = NetNamespace.enter(name)) {
                    assertEquals(name, ns.name());
                    inside = Files.readSymbolicLink(self).toString();
                }
                return new String[] {inside, Files.readSymbolicLink(self).toString()};
            }).get(30, TimeUnit.SECONDS);
            assertEquals("net:[" + namespaceInode + "]", seen[0]);
            assertNotEquals(outside, seen[0]);
            assertEquals(outside, seen[1]);
            assertEquals(outside, Files.readSymbolicLink(self).toString());
        } finally {
            thread.shutdownNow();
            run("ip", "netns", "del", name);
        }
    }

    @Test
    void enterUnknownNamespaceSaysWhichAndWhy() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> NetNamespace.enter(PREFIX + "absent"));
        assertEquals(Linux.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("/var/run/netns/" + PREFIX + "absent"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NetNamespace.enter("../etc"));
    }

    private static void deleteLeftovers() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        for (String line : out.split("\n")) {
            String ns = line.split(" ")[0].trim();
            if (ns.startsWith(PREFIX)) {
                run("ip", "netns", "del", ns);
            }
        }
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }
}
