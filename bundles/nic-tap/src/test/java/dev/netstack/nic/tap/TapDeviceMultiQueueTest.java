package dev.netstack.nic.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.FlowHash;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.QueueDevice;
import dev.netstack.runtime.os.NetNamespace;
import dev.netstack.test.NetNs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A TAP opened with several queues, in a namespace {@code tapmq-PID-N} (root only): what the
 * device says about its queues. That the kernel really steers by FlowHash is shown with traffic by
 * the interop TapMultiQueueTest, and instruction by instruction by SteeringProgramTest.
 */
class TapDeviceMultiQueueTest {

    private static final String PREFIX = "tapmq-";
    private static final String TAP = "tapmq1";

    @BeforeAll
    static void rig() {
        assumeTrue(NetNs.available(), "needs root and iproute2");
        assumeTrue(Files.exists(Path.of(TapDevice.CLONE_DEVICE)), "needs /dev/net/tun");
        NetNs.cleanup(PREFIX);
    }

    @Test
    void opensOneDescriptorAndPoolPerQueueAndReportsFlowHashQueues() throws Exception {
        try (NetNs ns = NetNs.create(PREFIX)) {
            TapSettings settings = TapSettings.defaults("eth0", TAP).withQueues(3);
            TapDevice tap = in(ns, () -> TapDevice.open(settings));
            try {
                assertEquals(3, tap.queueCount());
                assertTrue(tap.capabilities().has(DeviceCapabilities.OFFLOAD_RSS));
                assertTrue(tap.toString().contains("3 queues"), tap.toString());
                assertTrue(ns.ip("-d", "link", "show", "dev", TAP).stdout().contains("multi_queue"));
                for (int q = 0; q < 3; q++) {
                    assertTrue(tap.readinessFd(q) >= 0);
                    assertEquals(4096, tap.pool(q).capacity());
                    assertEquals(0, tap.receive(q, new PacketBatch(8)), "nothing sent yet: the link is down");
                    for (int q2 = q + 1; q2 < 3; q2++) {
                        assertTrue(tap.readinessFd(q) != tap.readinessFd(q2));
                        assertTrue(tap.pool(q) != tap.pool(q2));
                        assertTrue(tap.counters(q) != tap.counters(q2));
                    }
                }
                int kernel = 0xC612_0801;
                int stack = 0xC612_0802;
                for (int port = 1024; port < 1100; port++) {
                    int q = tap.rxQueueOf(stack, kernel, port, 80);
                    assertEquals(FlowHash.queueOf(stack, kernel, port, 80, 3), q);
                    assertEquals(q, tap.rxQueueOf(kernel, stack, 80, port), "symmetric");
                }
                assertThrows(IndexOutOfBoundsException.class, () -> tap.receive(3, new PacketBatch(1)));
                assertThrows(IndexOutOfBoundsException.class, () -> tap.pool(-1));
                QueueDevice lane = new QueueDevice(tap, 2);
                assertEquals(tap.readinessFd(2), lane.readinessFd(0));
                assertEquals(1, lane.queueCount());
            } finally {
                tap.close();
            }
            assertEquals(-1, tap.readinessFd(1));
            assertFalse(ns.hasLink(TAP), "closing every queue removes the TAP");
        }
    }

    @Test
    void oneQueueStaysAPlainTapWithoutSteering() throws Exception {
        try (NetNs ns = NetNs.create(PREFIX)) {
            TapDevice tap = in(ns, () -> TapDevice.open(TapSettings.defaults("eth0", TAP)));
            try {
                assertEquals(1, tap.queueCount());
                assertFalse(tap.capabilities().has(DeviceCapabilities.OFFLOAD_RSS));
                assertFalse(ns.ip("-d", "link", "show", "dev", TAP).stdout().contains("multi_queue"));
                assertEquals(0, tap.rxQueueOf(1, 2, 3, 4));
            } finally {
                tap.close();
            }
        }
    }

    /** setns(2) moves one thread only: runs {@code task} on a platform thread inside the namespace. */
    private static <T> T in(NetNs ns, Callable<T> task) throws Exception {
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().name("tapmq-open").start(() -> {
            try (NetNamespace entered = NetNamespace.enter(ns.name())) {
                outcome.set(task.call());
            } catch (Exception | Error e) {
                outcome.set(e);
            }
        });
        thread.join();
        if (outcome.get() instanceof Exception e) {
            throw e;
        }
        if (outcome.get() instanceof Error e) {
            throw e;
        }
        @SuppressWarnings("unchecked")
        T value = (T) outcome.get();
        return value;
    }
}
