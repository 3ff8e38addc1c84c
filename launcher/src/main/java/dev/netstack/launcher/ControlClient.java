package dev.netstack.launcher;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The client side of the control socket ({@code RUN/control.sock}), served by the shell bundle.
 *
 * <p>Protocol: the client sends one Gogo command line in UTF-8 and shuts down its output; the
 * server runs it and answers with frames {@code [type byte][int length][bytes]}: {@code 'O'}
 * standard output, {@code 'E'} standard error, and last {@code 'X'} with the exit status as a
 * 4-byte int (0 done, 1 failed).
 */
final class ControlClient {

    /** File name of the control socket in the run directory. */
    static final String SOCKET = "control.sock";

    /** Exit status when no stack answers in the run directory. */
    static final int NOT_RUNNING = 3;

    private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_./:=,@%+-]+");

    private ControlClient() {
    }

    /** Runs {@code words} as one command, or each line of {@code stdin} if there are none. */
    static int run(Path runDir, List<String> words, InputStream stdin, PrintStream out, PrintStream err) throws IOException {
        Path socket = runDir.resolve(SOCKET);
        if (!isRunning(socket)) {
            err.println("netstack: no netstack is running in " + runDir + ": start one with ./netstack run, or pass --run DIR.");
            return NOT_RUNNING;
        }
        if (!words.isEmpty()) {
            return execute(socket, commandLine(words), out, err);
        }
        int status = 0;
        for (String line : new String(stdin.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                status = Math.max(status, execute(socket, line, out, err));
            }
        }
        return status;
    }

    /** Whether something accepts connections on {@code socket}. */
    static boolean isRunning(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return channel.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    /** Joins words into a Gogo command line, quoting those Gogo would otherwise split or expand. */
    static String commandLine(List<String> words) {
        StringBuilder line = new StringBuilder();
        for (String word : words) {
            if (!line.isEmpty()) {
                line.append(' ');
            }
            if (PLAIN_WORD.matcher(word).matches()) {
                line.append(word);
            } else {
                line.append('"');
                for (char c : word.toCharArray()) {
                    if (c == '"' || c == '\\' || c == '$') {
                        line.append('\\');
                    }
                    line.append(c);
                }
                line.append('"');
            }
        }
        return line.toString();
    }

    /** Sends one command line; copies its output to {@code out} and {@code err}; returns its status. */
    static int execute(Path socket, String commandLine, PrintStream out, PrintStream err) throws IOException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ByteBuffer request = ByteBuffer.wrap(commandLine.getBytes(StandardCharsets.UTF_8));
            while (request.hasRemaining()) {
                channel.write(request);
            }
            channel.shutdownOutput();
            DataInputStream in = new DataInputStream(Channels.newInputStream(channel));
            while (true) {
                int type;
                int length;
                try {
                    type = in.readUnsignedByte();
                    length = in.readInt();
                } catch (EOFException e) {
                    err.println("netstack: the stack closed the control connection without an exit status; see its log.");
                    return 1;
                }
                if (type == 'X') {
                    return in.readInt();
                }
                byte[] data = in.readNBytes(length);
                PrintStream target = type == 'E' ? err : out;
                target.write(data);
                target.flush();
            }
        }
    }

    /** Collects output in memory, for tests. */
    record Result(int status, String out, String err) {
    }

    static Result execute(Path socket, String commandLine) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = execute(socket, commandLine, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
