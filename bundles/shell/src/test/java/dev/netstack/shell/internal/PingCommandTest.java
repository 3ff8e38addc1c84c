package dev.netstack.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.netstack.ip.Pinger;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class PingCommandTest {

    private final Pinger pinger = mock(Pinger.class);
    private final PingCommand command = new PingCommand();

    PingCommandTest() {
        command.addPinger(pinger, Fakes.ONE_SHARD);
    }

    @Test
    void printsEachReplyAndTheSummaryLikeIputils() throws Exception {
        when(pinger.ping(eq(0xC612_0001), eq(new Pinger.Options(56, 2, 200, 1000)), any())).thenAnswer(call -> {
            Pinger.Listener listener = call.getArgument(2);
            listener.reply(1, 56, 64, 1_250_000);
            listener.reply(2, 56, 64, 750_000);
            return CompletableFuture.completedFuture(new Pinger.Result(0xC612_0001, 2, 2, List.of(1_250_000L, 750_000L)));
        });
        assertEquals("""
                PING 198.18.0.1 56(84) bytes of data.
                64 bytes from 198.18.0.1: icmp_seq=1 ttl=64 time=1.250 ms
                64 bytes from 198.18.0.1: icmp_seq=2 ttl=64 time=0.750 ms

                --- 198.18.0.1 ping statistics ---
                2 packets transmitted, 2 received, 0% packet loss
                rtt min/avg/max = 0.750/1.000/1.250 ms
                """, command.ping(2, 56, 0.2, 1, "198.18.0.1"));
    }

    @Test
    void reportsLossWithoutRttLineWhenNothingCameBack() throws Exception {
        when(pinger.ping(eq(0xC612_0009), any(), any()))
                .thenReturn(CompletableFuture.completedFuture(new Pinger.Result(0xC612_0009, 3, 0, List.of())));
        String out = command.ping(3, 56, 0, 0, "198.18.0.9");
        assertEquals("3 packets transmitted, 0 received, 100% packet loss", out.lines().toList().getLast());
    }

    @Test
    void reportsNoRouteInOneSentence() {
        when(pinger.ping(eq(0x0A00_0001), any(), any())).thenReturn(CompletableFuture.failedFuture(
                new IllegalStateException("no route to 10.0.0.1; add an address or a route first")));
        assertEquals("no route to 10.0.0.1; add an address or a route first",
                assertThrows(IllegalStateException.class, () -> command.ping(1, 56, 1, 1, "10.0.0.1")).getMessage());
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> command.ping(1, 56, 1, 1, "not-an-address"));
        assertThrows(IllegalArgumentException.class, () -> command.ping(1, 70_000, 1, 1, "198.18.0.1"));
        assertThrows(IllegalArgumentException.class, () -> command.ping(1, 56, -1, 1, "198.18.0.1"));
    }

    @Test
    void pingsFromLaneZeroOfSeveral() throws Exception {
        PingCommand lanes = new PingCommand();
        Pinger lane1 = mock(Pinger.class);
        lanes.addPinger(lane1, Fakes.lane(1, 2));
        lanes.addPinger(pinger, Fakes.lane(0, 2));
        when(pinger.ping(eq(0xC612_0009), any(), any()))
                .thenReturn(CompletableFuture.completedFuture(new Pinger.Result(0xC612_0009, 1, 1, List.of(1_000_000L))));

        String out = lanes.ping(1, 56, 0, 0, "198.18.0.9");

        assertEquals("1 packets transmitted, 1 received, 0% packet loss", out.lines().toList().get(3));
        verify(lane1, never()).ping(anyInt(), any(), any());
        lanes.removePinger(pinger);
        assertEquals("the network layer (bundle dev.netstack.ip) is not running.",
                assertThrows(IllegalStateException.class, () -> lanes.ping(1, 56, 0, 0, "198.18.0.9")).getMessage());
    }
}
