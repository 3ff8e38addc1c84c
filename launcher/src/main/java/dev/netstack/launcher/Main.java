package dev.netstack.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Entry point of {@code bin/netstack}: {@code demo}, {@code run}, {@code shell} and {@code help}
 * (see {@link CommandLine} and the README). User errors end in one sentence on
 * stderr and exit status 2, never a stack trace.
 */
public final class Main {

    /** System property set by {@code bin/netstack}: the distribution directory. */
    static final String HOME_PROPERTY = "netstack.home";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            return switch (CommandLine.parse(args)) {
                case CommandLine.Help help -> help(help, help.error() ? err : out);
                case CommandLine.ShellCall call -> ControlClient.run(call.runDir(), call.words(), System.in, out, err);
                case CommandLine.Start start -> new Launcher(home(), start.options(), out, err).run();
                case Tools.Nc nc -> Tools.nc(nc, System.in, out, err);
                case Tools.Get get -> Tools.get(get, out, err);
                case PacketTools.Pktgen pktgen -> PacketLoops.pktgen(pktgen, out);
                case PacketTools.Fwd fwd -> PacketLoops.fwd(fwd, out);
                case BenchCommand bench -> dev.netstack.launcher.bench.Bench.run(bench.options(), out, err);
            };
        } catch (ToolException e) {
            err.println("netstack: " + e.getMessage());
            return 1;
        } catch (UsageException e) {
            err.println("netstack: " + e.getMessage());
            return 2;
        } catch (java.nio.file.AccessDeniedException e) {
            err.println("netstack: no permission to write " + e.getFile() + ": pass --run with a directory you own.");
            return 1;
        } catch (java.nio.file.FileSystemException e) {
            err.println("netstack: cannot use " + e.getFile() + " (" + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName())
                    + "): check the path, or pass --run with another directory.");
            return 1;
        } catch (IOException e) {
            err.println("netstack: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            return 1;
        } catch (org.osgi.framework.BundleException e) {
            err.println("netstack: the OSGi framework did not start: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    private static int help(CommandLine.Help help, PrintStream stream) {
        stream.print(help.topic() == null ? CommandLine.OVERVIEW : CommandLine.USAGE.get(help.topic()));
        return help.error() ? 2 : 0;
    }

    private static Path home() throws UsageException {
        String home = System.getProperty(HOME_PROPERTY);
        if (home == null) {
            throw new UsageException("the system property " + HOME_PROPERTY + " is not set: start the launcher with bin/netstack.");
        }
        return Path.of(home);
    }
}
