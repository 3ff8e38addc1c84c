package dev.netstack.shell.internal;

import dev.netstack.runtime.Counters;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Dictionary;
import java.util.Hashtable;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Runs Gogo command lines sent by other processes ({@code ./netstack shell}) over a Unix domain
 * socket whose path is the framework property {@value #SOCKET_PROPERTY}; without it the component
 * does nothing.
 *
 * <p>Protocol: the client sends one command line in UTF-8 and shuts down its output; the answer
 * is frames {@code [type byte][int length][bytes]}: {@code 'O'} standard output, {@code 'E'}
 * standard error, and last {@code 'X'} carrying the exit status as a 4-byte int (0 done, 1 the
 * command threw). Commands run one at a time on the accepting thread, so a command that blocks
 * holds up the next client. The socket file is readable and writable by its owner only.
 */
@Component(immediate = true)
public final class ControlSocket {

    /** Framework property: path of the socket file. */
    public static final String SOCKET_PROPERTY = "netstack.control.socket";

    private static final System.Logger LOG = System.getLogger(ControlSocket.class.getName());
    private static final int MAX_REQUEST_BYTES = 64 * 1024;

    enum Count { CONNECTIONS, COMMANDS, COMMAND_FAILURES, BAD_REQUESTS }

    private final CommandProcessor processor;
    private final Counters counters = Counters.of("shell", Count.class);
    private final ServiceRegistration<Counters> registration;
    private final Path path;
    private final ServerSocketChannel server;
    private final Thread acceptor;

    @Activate
    public ControlSocket(@Reference CommandProcessor processor, BundleContext context) throws IOException {
        this.processor = processor;
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(Counters.SCOPE_PROPERTY, counters.scope());
        this.registration = context.registerService(Counters.class, counters, properties);
        String configured = context.getProperty(SOCKET_PROPERTY);
        if (configured == null || configured.isBlank()) {
            LOG.log(Level.INFO, "no control socket: the framework property {0} is not set", SOCKET_PROPERTY);
            path = null;
            server = null;
            acceptor = null;
            return;
        }
        path = Path.of(configured);
        server = open(path);
        acceptor = Thread.ofPlatform().daemon().name("netstack-control").start(this::acceptLoop);
    }

    /** Binds the socket, replacing a stale file from an earlier run; owner-only permissions. */
    static ServerSocketChannel open(Path path) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return channel;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try (SocketChannel client = server.accept()) {
                counters.increment(Count.CONNECTIONS);
                serve(client);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "control connection failed", e);
            }
        }
    }

    private void serve(SocketChannel client) throws IOException {
        InputStream in = Channels.newInputStream(client);
        byte[] request = in.readNBytes(MAX_REQUEST_BYTES + 1);
        DataOutputStream reply = new DataOutputStream(Channels.newOutputStream(client));
        if (request.length > MAX_REQUEST_BYTES) {
            counters.increment(Count.BAD_REQUESTS);
            writeFrame(reply, 'E', ("command lines are limited to " + MAX_REQUEST_BYTES + " bytes\n").getBytes(StandardCharsets.UTF_8));
            writeStatus(reply, 1);
            return;
        }
        Outcome outcome = execute(processor, new String(request, StandardCharsets.UTF_8));
        counters.increment(Count.COMMANDS);
        if (outcome.status() != 0) {
            counters.increment(Count.COMMAND_FAILURES);
        }
        writeFrame(reply, 'O', outcome.out());
        writeFrame(reply, 'E', outcome.err());
        writeStatus(reply, outcome.status());
    }

    /** What one command line printed and how it ended. */
    record Outcome(int status, byte[] out, byte[] err) {
    }

    /** Runs {@code commandLine} in a fresh session with empty stdin; its value is printed as Gogo's shell would. */
    static Outcome execute(CommandProcessor processor, String commandLine) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        int status = 0;
        try (CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), outStream, errStream)) {
            Object result = session.execute(commandLine);
            if (result != null) {
                CharSequence text = session.format(result, Converter.INSPECT);
                outStream.print(text);
                if (!text.isEmpty() && text.charAt(text.length() - 1) != '\n') {
                    outStream.println();
                }
            }
        } catch (Exception e) {
            status = 1;
            errStream.println(e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
        }
        outStream.flush();
        errStream.flush();
        return new Outcome(status, out.toByteArray(), err.toByteArray());
    }

    private static void writeFrame(DataOutputStream reply, char type, byte[] data) throws IOException {
        if (data.length > 0) {
            reply.writeByte(type);
            reply.writeInt(data.length);
            reply.write(data);
        }
    }

    private static void writeStatus(DataOutputStream reply, int status) throws IOException {
        reply.writeByte('X');
        reply.writeInt(4);
        reply.writeInt(status);
        reply.flush();
    }

    @Deactivate
    void deactivate() throws IOException, InterruptedException {
        registration.unregister();
        if (server != null) {
            server.close();
            acceptor.join(5_000);
            Files.deleteIfExists(path);
        }
    }
}
