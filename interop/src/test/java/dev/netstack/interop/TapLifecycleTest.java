package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.embedded.NetStack;
import dev.netstack.test.NetNs;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The builder's TAP in a namespace: created there with the kernel side configured, gone after close; clear failures. 198.18.27.0/24. */
class TapLifecycleTest {

    @BeforeAll
    static void rig() {
        TapRig.requireRig();
    }

    @Test
    void tapIsCreatedInTheNamespaceAndRemovedOnClose() {
        try (NetNs ns = NetNs.create(TapRig.PREFIX)) {
            NetStack stack = NetStack.builder().tap("tap7").namespace(ns.name()).hostAddress("198.18.27.1/24")
                    .address("198.18.27.2/24").mtu(1400).build();
            try {
                assertTrue(ns.hasLink("tap7"), "the TAP is in the namespace");
                String link = ns.ip("addr", "show", "dev", "tap7").stdout();
                assertTrue(link.contains("198.18.27.1/24"), link);
                assertTrue(link.contains("mtu 1400"), link);
                assertTrue(link.contains("UP"), link);
                assertEquals(1400, stack.netInterface().mtu());
            } finally {
                stack.close();
            }
            assertFalse(ns.hasLink("tap7"), "closing the stack removed the TAP");
            assertEquals(0, shardThreads(), "no shard thread left running");
        }
    }

    @Test
    void missingNamespaceFailsTheBuildInOneSentence() {
        RuntimeException e = assertThrows(RuntimeException.class, () -> NetStack.builder().tap("tap8")
                .namespace(TapRig.PREFIX + "does-not-exist").build());
        assertTrue(e.getMessage().contains(TapRig.PREFIX + "does-not-exist"), e.getMessage());
        assertEquals(0, shardThreads(), "the shard started for the stack was stopped again");
    }

    @Test
    void badTapNameIsReportedInOneSentence() {
        try (NetNs ns = NetNs.create(TapRig.PREFIX)) {
            RuntimeException e = assertThrows(RuntimeException.class, () -> NetStack.builder()
                    .tap("a-name-far-too-long-for-linux").namespace(ns.name()).build());
            assertTrue(e.getMessage().startsWith("The TAP name (tap)"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one sentence, no stack trace: " + e.getMessage());
        }
    }

    private static long shardThreads() {
        NetNs.await(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("netstack-shard") && t.isAlive()), java.time.Duration.ofSeconds(2));
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("netstack-shard") && t.isAlive()).count();
    }
}
