package dev.netstack.nio.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.IllegalBlockingModeException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NetstackDatagramChannelTest {

    final StackPair net = new StackPair();

    @AfterEach
    void tearDown() {
        net.close();
    }

    @Test
    void socketAdaptorBindsSendsAndReceives() throws Exception {
        DatagramChannel channelB = net.providerB.openDatagramChannel();
        DatagramSocket b = channelB.socket();
        assertSame(b, channelB.socket());
        assertSame(channelB, b.getChannel());
        assertFalse(b.isBound());
        b.bind(new InetSocketAddress("198.18.40.2", 5400));
        assertTrue(b.isBound());
        assertEquals(5400, b.getLocalPort());
        DatagramSocket a = net.providerA.openDatagramChannel().socket();
        a.bind(new InetSocketAddress(0));
        int portA = a.getLocalPort();
        assertNotEquals(0, portA, "port 0 takes an ephemeral port at bind");

        byte[] hello = "hello stack".getBytes();
        a.send(new DatagramPacket(hello, hello.length, InetAddress.getByName("198.18.40.2"), 5400));
        byte[] buf = new byte[100];
        DatagramPacket in = new DatagramPacket(buf, buf.length);
        b.receive(in);
        assertEquals(hello.length, in.getLength());
        assertArrayEquals(hello, Arrays.copyOf(buf, in.getLength()));
        assertEquals("198.18.40.1", in.getAddress().getHostAddress());
        assertEquals(portA, in.getPort());

        // connect: packets without an address go to the peer; a longer datagram is truncated
        b.connect(in.getSocketAddress());
        assertTrue(b.isConnected());
        assertEquals(portA, b.getPort());
        assertEquals("198.18.40.1", b.getInetAddress().getHostAddress());
        byte[] reply = {1, 2, 3, 4, 5, 6};
        b.send(new DatagramPacket(reply, reply.length));
        byte[] small = new byte[4];
        DatagramPacket part = new DatagramPacket(small, small.length);
        a.receive(part);
        assertEquals(4, part.getLength());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, small);
        assertThrows(IllegalArgumentException.class, () -> b.send(new DatagramPacket(reply, 1,
                InetAddress.getByName("198.18.40.1"), portA + 1)), "connected to another peer");
        b.disconnect();
        assertFalse(b.isConnected());
        assertThrows(IllegalArgumentException.class, () -> b.send(new DatagramPacket(reply, 1)), "no address");
        a.close();
        b.close();
    }

    @Test
    void soTimeoutEndsAReceiveWithSocketTimeoutException() throws Exception {
        DatagramSocket s = net.providerA.openDatagramChannel().socket();
        s.bind(new InetSocketAddress(0));
        s.setSoTimeout(150);
        assertEquals(150, s.getSoTimeout());
        assertThrows(SocketTimeoutException.class, () -> s.receive(new DatagramPacket(new byte[10], 10)));
        s.close();
    }

    @Test
    void errorsAreTheOnesJavaNetCallersExpect() throws Exception {
        DatagramSocket first = net.providerB.openDatagramChannel().socket();
        first.bind(new InetSocketAddress("198.18.40.2", 5401));
        DatagramSocket second = net.providerB.openDatagramChannel().socket();
        assertThrows(BindException.class, () -> second.bind(new InetSocketAddress("198.18.40.2", 5401)));
        DatagramChannel nonBlocking = net.providerA.openDatagramChannel();
        nonBlocking.configureBlocking(false);
        assertThrows(IllegalBlockingModeException.class, () -> nonBlocking.socket().receive(new DatagramPacket(new byte[1], 1)));
        first.setReceiveBufferSize(64 * 1024);
        assertEquals(64 * 1024, first.getReceiveBufferSize());
        first.setBroadcast(true);
        assertTrue(first.getBroadcast());
        first.close();
        assertTrue(first.isClosed());
        assertThrows(java.net.SocketException.class, () -> first.send(new DatagramPacket(new byte[1], 1,
                InetAddress.getByName("198.18.40.1"), 9)));
        assertThrows(java.net.SocketException.class, () -> first.setSoTimeout(1));
        second.close();
        nonBlocking.close();
    }

    @Test
    void socketAdaptorAddressesEachPacketToItsOwnPeerWhenPeersAlternate() throws Exception {
        DatagramSocket b = net.providerB.openDatagramChannel().socket();
        b.bind(new InetSocketAddress("198.18.40.2", 5410));
        DatagramSocket a1 = net.providerA.openDatagramChannel().socket();
        a1.bind(new InetSocketAddress("198.18.40.1", 6101));
        DatagramSocket a2 = net.providerA.openDatagramChannel().socket();
        a2.bind(new InetSocketAddress("198.18.40.1", 6102));
        InetAddress addressB = InetAddress.getByName("198.18.40.2");
        DatagramPacket p = new DatagramPacket(new byte[10], 10);
        for (int round = 0; round < 3; round++) {
            a1.send(new DatagramPacket(new byte[] {1}, 1, addressB, 5410));
            p.setLength(10);
            b.receive(p);
            assertEquals(6101, p.getPort());
            assertEquals("198.18.40.1", p.getAddress().getHostAddress());
            b.send(p); // the echo goes back to the sender of this datagram
            a2.send(new DatagramPacket(new byte[] {2}, 1, addressB, 5410));
            p.setLength(10);
            b.receive(p);
            assertEquals(6102, p.getPort());
            b.send(p);
            DatagramPacket back = new DatagramPacket(new byte[10], 10);
            a1.receive(back);
            assertEquals(1, back.getData()[0]);
            a2.receive(back);
            assertEquals(2, back.getData()[0]);
        }
        a1.connect(new InetSocketAddress(addressB, 5410));
        DatagramPacket elsewhere = new DatagramPacket(new byte[1], 1, InetAddress.getByName("198.18.40.3"), 5410);
        assertThrows(IllegalArgumentException.class, () -> a1.send(elsewhere));
        a1.close();
        a2.close();
        b.close();
    }
}
