package dev.netstack.runtime.internal;

import static org.junit.jupiter.api.Assertions.*;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.*;

import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.Shard;
import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

class RuntimeComponentTest {

    private static RuntimeComponent.Config config(int shards, String idle) {
        return config(shards, idle, "");
    }

    private static RuntimeComponent.Config config(int shards, String idle, String cpus) {
        return new RuntimeComponent.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return RuntimeComponent.Config.class;
            }

            @Override
            public int shards() {
                return shards;
            }

            @Override
            public String idle() {
                return idle;
            }

            @Override
            public String cpus() {
                return cpus;
            }
        };
    }

    @Test
    void startsOneRunningLoopPerShard() throws Exception {
        RuntimeComponent runtime = new RuntimeComponent(config(2, "yield"));
        try {
            List<EventLoop> loops = runtime.shards();
            assertEquals(2, loops.size());
            for (int i = 0; i < 2; i++) {
                EventLoop loop = loops.get(i);
                assertEquals(i, loop.id());
                assertTrue(loop.isRunning());
                CountDownLatch ran = new CountDownLatch(1);
                loop.execute(ran::countDown);
                assertTrue(ran.await(10, TimeUnit.SECONDS));
            }
        } finally {
            runtime.close();
        }
        runtime.shards().forEach(loop -> assertFalse(loop.isRunning()));
    }

    @Test
    @SuppressWarnings("unchecked")
    void registersEachShardWithItsIdAndWithdrawsThemOnDeactivate() {
        BundleContext context = mock(BundleContext.class);
        List<ServiceRegistration<Shard>> registrations = new ArrayList<>();
        List<Object> ids = new ArrayList<>();
        when(context.registerService(eq(Shard.class), any(Shard.class), any(Dictionary.class))).thenAnswer(call -> {
            Dictionary<String, ?> properties = call.getArgument(2);
            ids.add(properties.get(Shard.ID_PROPERTY));
            ServiceRegistration<Shard> registration = mock(ServiceRegistration.class);
            registrations.add(registration);
            return registration;
        });
        RuntimeComponent runtime = new RuntimeComponent(config(3, "backoff"));
        runtime.register(context);
        assertEquals(List.of(0, 1, 2), ids);
        runtime.close();
        for (ServiceRegistration<Shard> registration : registrations) {
            verify(registration).unregister();
        }
        runtime.shards().forEach(loop -> assertFalse(loop.isRunning()));
        runtime.close(); // idempotent
        verify(registrations.get(0), times(1)).unregister();
    }

    @Test
    void rejectsBadShardCountInOneSentence() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RuntimeComponent(config(0, "backoff")));
        assertEquals("netstack.runtime: shards must be from 1 to 256, got 0", e.getMessage());
    }

    @Test
    void rejectsUnknownIdleNamingThePid() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RuntimeComponent(config(2, "nap")));
        assertEquals("netstack.runtime: idle must be backoff, spin, yield or poll, got 'nap'", e.getMessage());
    }

    @Test
    void pinsEachShardToItsCpu() throws Exception {
        java.util.BitSet allowed = dev.netstack.runtime.os.CpuAffinity.allowed();
        int last = allowed.length() - 1; // the highest CPU this process may use
        RuntimeComponent runtime = new RuntimeComponent(config(1, "yield", Integer.toString(last)));
        try {
            EventLoop loop = runtime.shards().get(0);
            assertEquals(last, loop.pinnedCpu());
            java.util.concurrent.CompletableFuture<java.util.BitSet> seen = new java.util.concurrent.CompletableFuture<>();
            loop.execute(() -> seen.complete(dev.netstack.runtime.os.CpuAffinity.allowed()));
            java.util.BitSet expected = new java.util.BitSet();
            expected.set(last);
            assertEquals(expected, seen.get(10, TimeUnit.SECONDS), "the shard thread's own affinity mask");
        } finally {
            runtime.close();
        }
    }

    @Test
    void rejectsACpuListThatDoesNotGiveEachShardOneCpu() {
        IllegalArgumentException tooFew = assertThrows(IllegalArgumentException.class,
                () -> new RuntimeComponent(config(2, "yield", "0")));
        assertEquals("netstack.runtime: cpus lists 1 CPU(s) for 2 shard(s): give exactly one CPU per shard,"
                + " e.g. cpus = 0-1", tooFew.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> RuntimeComponent.cpusFor("0,0", 2));
        assertTrue(twice.getMessage().contains("CPU 0 twice"), twice.getMessage());
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class,
                () -> RuntimeComponent.cpusFor("1023", 1));
        assertTrue(absent.getMessage().contains("may not run on"), absent.getMessage());
        IllegalArgumentException garbage = assertThrows(IllegalArgumentException.class,
                () -> RuntimeComponent.cpusFor("two", 1));
        assertEquals("\"two\" is not a CPU list such as 0,2 or 4-7", garbage.getMessage());
    }

    @Test
    void emptyCpuListMeansNoPinning() {
        assertEquals(0, RuntimeComponent.cpusFor(" ", 4).length);
        RuntimeComponent runtime = new RuntimeComponent(config(1, "yield", ""));
        try {
            assertEquals(-1, runtime.shards().get(0).pinnedCpu());
        } finally {
            runtime.close();
        }
    }
}
