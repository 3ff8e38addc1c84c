package dev.netstack.test;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class NetNsTest {

    private static final String PREFIX = "nsa-t";

    @BeforeAll
    static void needsRootAndIp() {
        assumeTrue(NetNs.available(), "network namespaces need root and iproute2");
        NetNs.cleanup(PREFIX);
    }

    @Test
    void createsRunsCommandsInsideAndDeletes() {
        NetNs ns = NetNs.create(PREFIX);
        try {
            assertTrue(ns.name().startsWith(PREFIX));
            assertTrue(ns.exists());
            assertTrue(NetNs.namespaces().contains(ns.name()));
            Exec.Result links = ns.exec("ip", "-o", "link", "show").check();
            assertTrue(links.stdout().contains("lo:"), links.stdout());
            assertFalse(links.stdout().contains("eth0"), "a fresh namespace has only loopback: " + links.stdout());
            assertTrue(ns.exec("ping", "-c", "1", "-W", "2", "127.0.0.1").ok() || !pingInstalled());
        } finally {
            ns.close();
        }
        assertFalse(ns.exists());
        ns.close(); // idempotent
    }

    private static boolean pingInstalled() {
        return Exec.run("sh", "-c", "command -v ping").ok();
    }

    @Test
    void vethPairsConnectTwoNamespaces() {
        try (NetNs left = NetNs.create(PREFIX); NetNs right = NetNs.create(PREFIX)) {
            left.veth("v0", right, "v1");
            left.address("v0", "198.18.7.1/24");
            right.address("v1", "198.18.7.2/24");
            assertTrue(left.hasLink("v0"));
            assertTrue(right.hasLink("v1"));
            assertFalse(left.hasLink("v1"));
            assertTrue(NetNs.await(() -> right.exec("ip", "-o", "addr", "show", "dev", "v1").stdout().contains("198.18.7.2"),
                    Duration.ofSeconds(5)));
            if (pingInstalled()) {
                assertTrue(NetNs.await(() -> left.exec("ping", "-c", "1", "-W", "1", "198.18.7.2").ok(),
                        Duration.ofSeconds(10)), "ping over the veth pair");
            }
        }
    }

    @Test
    void vethPairInsideOneNamespace() {
        try (NetNs ns = NetNs.create(PREFIX)) {
            ns.veth("va", "vb");
            assertTrue(ns.hasLink("va"));
            assertTrue(ns.hasLink("vb"));
        }
    }

    @Test
    void closeKillsProcessesLeftInside() throws Exception {
        NetNs ns = NetNs.create(PREFIX);
        Process sleeper = new ProcessBuilder(ns.prefixCommand("sleep", "60")).start();
        try {
            assertTrue(NetNs.await(() -> !ns.pids().isEmpty(), Duration.ofSeconds(5)));
            assertTrue(ns.pids().contains(sleeper.pid()));
        } finally {
            ns.close();
        }
        assertTrue(sleeper.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "process inside was killed");
        assertFalse(ns.exists());
    }

    @Test
    void cleanupDeletesLeftoversWithThePrefixOnly() {
        NetNs leftover = NetNs.create(PREFIX + "x");
        String name = leftover.name();
        assertEquals(1, NetNs.cleanup(PREFIX + "x"));
        assertFalse(NetNs.namespaces().contains(name));
        leftover.close(); // already gone: harmless
        assertEquals(0, NetNs.cleanup(PREFIX + "x"));
    }

    @Test
    void awaitGivesUpAfterTheTimeout() {
        long start = System.nanoTime();
        assertFalse(NetNs.await(() -> false, Duration.ofMillis(50)));
        assertTrue(System.nanoTime() - start >= 50_000_000L);
        assertTrue(NetNs.await(() -> true, Duration.ZERO));
    }

    @Test
    void rejectsAShortOrOddPrefix() {
        assertThrows(IllegalArgumentException.class, () -> NetNs.create("n"));
        assertThrows(IllegalArgumentException.class, () -> NetNs.cleanup("ns a"));
    }
}
