package dev.netstack.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.tcp.TcpConnectionInfo;
import dev.netstack.tcp.TcpLayer;
import dev.netstack.tcp.TcpState;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetstatCommandTest {

    private static final int STACK = Ipv4Address.parse("198.18.0.2");
    private static final int PEER = Ipv4Address.parse("198.18.0.1");

    private static final TcpConnectionInfo LISTENER = new TcpConnectionInfo(0, 80, 0, 0, TcpState.LISTEN, 0, 2, 0, 0, 0,
            0, 0, 0, 0, null);
    private static final TcpConnectionInfo ESTABLISHED = new TcpConnectionInfo(STACK, 80, PEER, 41234,
            TcpState.ESTABLISHED, 1448, 17, 28960, 20272, 210, 105, 201, 3, 1448, "cubic");
    private static final TcpConnectionInfo SLOW_START = new TcpConnectionInfo(STACK, 7, PEER, 5000,
            TcpState.CLOSE_WAIT, 0, 0, 14480, Long.MAX_VALUE, 0, 0, 1000, 0, 1448, "newreno");

    @Test
    void listsConnectionsWithQueuesCongestionStateAndRtt() {
        assertEquals("""
                Proto Local                 Remote                State         Send-Q  Recv-Q     cwnd ssthresh  srtt/rttvar ms    rto retrans cc
                tcp   198.18.0.2:7          198.18.0.1:5000       CLOSE_WAIT         0       0    14480      max       0.00/0.00   1000       0 newreno
                tcp   198.18.0.2:80         198.18.0.1:41234      ESTABLISHED     1448      17    28960    20272       0.21/0.11    201       3 cubic
                """, NetstatCommand.format(List.of(LISTENER, ESTABLISHED, SLOW_START), false, true));
    }

    @Test
    void listenersOnlyWithDashL() {
        assertEquals("""
                Proto Local                 Remote                State         Send-Q  Recv-Q     cwnd ssthresh  srtt/rttvar ms    rto retrans cc
                tcp   *:80                  *:*                   LISTEN             0       2        -        -               -      -       - -
                """, NetstatCommand.format(List.of(LISTENER, ESTABLISHED), true, false));
    }

    @Test
    void saysSoWhenThereIsNothingOrNoTcp() {
        NetstatCommand command = new NetstatCommand();
        assertEquals("TCP is not running (no TcpLayer service: start the tcp bundle)\n", command.netstat(false, false));
        TcpLayer tcp = mock(TcpLayer.class);
        when(tcp.connections()).thenReturn(List.of(LISTENER));
        command.addLayer(tcp, Fakes.ONE_SHARD);
        String out = command.netstat(false, false);
        assertEquals("(no connections)\n", out.substring(out.indexOf('\n') + 1));
        String both = command.netstat(false, true);
        assertEquals(true, both.contains("LISTEN"), both);
    }

    private static final TcpConnectionInfo LISTENER_1 = new TcpConnectionInfo(0, 80, 0, 0, TcpState.LISTEN, 0, 3, 0, 0,
            0, 0, 0, 0, 0, null);

    private static TcpLayer layer(TcpConnectionInfo... infos) {
        TcpLayer tcp = mock(TcpLayer.class);
        when(tcp.connections()).thenReturn(List.of(infos));
        return tcp;
    }

    @Test
    void mergesEveryLaneWithALaneColumnAndEachListenerOnce() {
        NetstatCommand command = new NetstatCommand();
        command.addLayer(layer(LISTENER_1, SLOW_START), Fakes.lane(1, 2));
        command.addLayer(layer(LISTENER, ESTABLISHED), Fakes.lane(0, 2));

        assertEquals("""
                Proto Lane Local                 Remote                State         Send-Q  Recv-Q     cwnd ssthresh  srtt/rttvar ms    rto retrans cc
                tcp   *    *:80                  *:*                   LISTEN             0       5        -        -               -      -       - -
                tcp   1    198.18.0.2:7          198.18.0.1:5000       CLOSE_WAIT         0       0    14480      max       0.00/0.00   1000       0 newreno
                tcp   0    198.18.0.2:80         198.18.0.1:41234      ESTABLISHED     1448      17    28960    20272       0.21/0.11    201       3 cubic
                """, command.netstat(false, true));
    }

    @Test
    void listsAListenerOfSomeLanesWithThoseLanes() {
        NetstatCommand command = new NetstatCommand();
        command.addLayer(layer(), Fakes.lane(0, 3));
        command.addLayer(layer(LISTENER), Fakes.lane(1, 3));
        command.addLayer(layer(LISTENER_1), Fakes.lane(2, 3));

        String out = command.netstat(true, false);
        assertEquals("tcp   1,2  *:80                  *:*                   LISTEN             0       5        -        -               -      -       - -",
                out.lines().toList().get(1));
    }

    @Test
    void dropsTheLaneColumnWhenOneLaneIsLeft() {
        NetstatCommand command = new NetstatCommand();
        TcpLayer lane1 = layer(SLOW_START);
        command.addLayer(layer(ESTABLISHED), Fakes.lane(0, 2));
        command.addLayer(lane1, Fakes.lane(1, 2));
        assertEquals(true, command.netstat(false, false).startsWith("Proto Lane "));

        command.removeLayer(lane1);

        assertEquals(NetstatCommand.format(List.of(ESTABLISHED), false, true), command.netstat(false, false));
    }
}
