package dev.netstack.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.netstack.runtime.Counters;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Dictionary;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.ArgumentCaptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

class ControlSocketTest {

    @TempDir
    Path dir;

    /** A processor whose sessions print to the session's stdout and return {@code result}. */
    private static CommandProcessor processor(Object result, Exception failure) throws Exception {
        CommandProcessor processor = mock(CommandProcessor.class);
        when(processor.createSession(any(InputStream.class), any(OutputStream.class), any(OutputStream.class))).thenAnswer(call -> {
            PrintStream out = call.getArgument(1);
            CommandSession session = mock(CommandSession.class);
            when(session.execute(any())).thenAnswer(execute -> {
                out.print("ran " + execute.getArgument(0) + "\n");
                if (failure != null) {
                    throw failure;
                }
                return result;
            });
            when(session.format(any(), eq(0))).thenAnswer(format -> String.valueOf((Object) format.getArgument(0)));
            return session;
        });
        return processor;
    }

    @Test
    void printsWhatTheCommandPrintsAndItsValue() throws Exception {
        ControlSocket.Outcome outcome = ControlSocket.execute(processor("value", null), "stats -a");
        assertEquals(0, outcome.status());
        assertEquals("ran stats -a\nvalue\n", new String(outcome.out(), StandardCharsets.UTF_8));
        assertEquals(0, outcome.err().length);
    }

    @Test
    void aFailingCommandGivesStatusOneAndItsMessage() throws Exception {
        ControlSocket.Outcome outcome = ControlSocket.execute(processor(null, new IllegalArgumentException("bad address.")), "arp");
        assertEquals(1, outcome.status());
        assertEquals("bad address.\n", new String(outcome.err(), StandardCharsets.UTF_8));
    }

    @Test
    @SuppressWarnings("unchecked")
    void servesClientsOverTheSocketAndCountsThem() throws Exception {
        Path socket = dir.resolve("control.sock");
        BundleContext context = mock(BundleContext.class);
        when(context.getProperty(ControlSocket.SOCKET_PROPERTY)).thenReturn(socket.toString());
        ServiceRegistration<Counters> registration = mock(ServiceRegistration.class);
        ArgumentCaptor<Counters> counters = ArgumentCaptor.forClass(Counters.class);
        when(context.registerService(eq(Counters.class), counters.capture(), any(Dictionary.class))).thenReturn(registration);

        ControlSocket control = new ControlSocket(processor(null, null), context);
        try {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertEquals("ran lb\n", request(socket, "lb", 0));
            assertEquals("ran stats\n", request(socket, "stats", 0));
            assertEquals(2, counters.getValue().get(ControlSocket.Count.COMMANDS));
            assertEquals("shell", counters.getValue().scope());
        } finally {
            control.deactivate();
        }
        assertFalse(Files.exists(socket));
        verify(registration).unregister();
    }

    @Test
    void replacesAStaleSocketFile() throws Exception {
        Path socket = Files.createFile(dir.resolve("control.sock"));
        ControlSocket.open(socket).close();
        assertTrue(Files.exists(socket));
    }

    private static String request(Path socket, String line, int expectedStatus) throws Exception {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            channel.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            DataInputStream in = new DataInputStream(Channels.newInputStream(channel));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (true) {
                int type = in.readUnsignedByte();
                int length = in.readInt();
                if (type == 'X') {
                    assertEquals(4, length);
                    assertEquals(expectedStatus, in.readInt());
                    return out.toString(StandardCharsets.UTF_8);
                }
                out.write(in.readNBytes(length));
            }
        }
    }
}
