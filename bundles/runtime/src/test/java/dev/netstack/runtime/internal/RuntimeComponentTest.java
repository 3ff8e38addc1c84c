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
}
