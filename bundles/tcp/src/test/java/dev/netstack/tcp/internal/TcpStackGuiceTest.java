package dev.netstack.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import dev.netstack.ip.NetworkLayer;
import dev.netstack.runtime.Shard;
import dev.netstack.tcp.TcpOptions;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Embedded mode: Guice builds the stack through the same constructor DS uses. */
class TcpStackGuiceTest {

    @Test
    void guiceBuildsTheStackFromConfigShardAndNetworkLayer() {
        try (TcpScript t = new TcpScript()) {
            TcpConfig config = TcpScript.config(Map.of("backlog", 7));
            TcpStack stack = Guice.createInjector(new AbstractModule() {
                @Override
                protected void configure() {
                    bind(TcpConfig.class).toInstance(config);
                    bind(Shard.class).toInstance(t.loop);
                    bind(NetworkLayer.class).toInstance(t.network);
                }
            }).getInstance(TcpStack.class);
            assertNotNull(stack);
            assertEquals(7, stack.backlog);
            assertNotNull(stack.listen(0, 80, TcpOptions.defaults(), c -> new TcpScript.Events()));
        }
    }
}
