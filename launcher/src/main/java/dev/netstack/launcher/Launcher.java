package dev.netstack.launcher;

import dev.netstack.nic.ixgbe.IxgbeException;
import dev.netstack.nic.ixgbe.IxgbePci;
import dev.netstack.nic.pci.PciDevice;
import dev.netstack.nic.pci.PciException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.service.log.LogReaderService;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Starts Apache Felix with every bundle of {@code HOME/bundle}, FileInstall watching
 * {@code RUN/etc}, and the shell bundle's control socket at {@code RUN/control.sock}; runs until
 * the framework stops (SIGINT, SIGTERM, or {@code stop 0} in the shell).
 *
 * <pre>
 * HOME/                      RUN/ (default /tmp/netstack/default)
 *   bin/netstack               felix-cache/   bundle cache, emptied on every start
 *   lib/  launcher, Felix      etc/           *.cfg FileInstall watches (copied from --config,
 *   bundle/  every bundle                     then the command-line options written over them)
 *   etc/  default *.cfg        control.sock   shell commands from ./netstack shell
 * </pre>
 */
final class Launcher {

    /** Framework property the shell bundle reads to open its control socket. */
    static final String CONTROL_SOCKET_PROPERTY = "netstack.control.socket";

    /** Printed on stdout once every bundle has been started and the control socket is open. */
    static final String STARTED = "netstack started";

    /** Version of the OSGi Log API on the launcher's class path ({@code org.osgi.service.log} 1.5.0). */
    private static final String LOG_API_VERSION = "1.5";

    /** The log service bundle, started before the others so that no bundle logs to stdout before it runs. */
    static final String LOG_BUNDLE = "org.apache.felix.log";

    private static final long CONTROL_SOCKET_WAIT_MS = 10_000;
    private static final long STOP_WAIT_MS = 30_000;

    private final Path home;
    private final CommandLine.RunOptions options;
    private final PrintStream out;
    private final PrintStream err;

    Launcher(Path home, CommandLine.RunOptions options, PrintStream out, PrintStream err) {
        this.home = home;
        this.options = options;
        this.out = out;
        this.err = err;
    }

    /** Runs the stack until it stops; returns the exit status. */
    int run() throws IOException, UsageException, InterruptedException, BundleException {
        String nicProblem = checkNic(options);
        if (nicProblem != null) {
            err.println("netstack: " + nicProblem);
            return 1;
        }
        Path runDir = options.runDir().toAbsolutePath().normalize();
        Path configDir = options.configDir() == null ? home.resolve("etc") : options.configDir().toAbsolutePath();
        if (!Files.isDirectory(configDir)) {
            throw new UsageException("--config " + configDir + " is not a directory.");
        }
        Files.createDirectories(runDir);
        Path socket = runDir.resolve(ControlClient.SOCKET);
        if (ControlClient.isRunning(socket)) {
            err.println("netstack: a netstack is already running in " + runDir + ": stop it, or pass --run with another directory.");
            return 1;
        }
        Files.deleteIfExists(socket);
        Path etcDir = runDir.resolve("etc");
        ConfigFiles.prepare(configDir, etcDir, options);

        Framework framework = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"))
                .newFramework(frameworkProperties(runDir, etcDir, socket));
        framework.init();
        installSignalHandlers(framework);
        listenToLog(framework.getBundleContext());
        List<Bundle> bundles = install(framework.getBundleContext());
        framework.start();
        int active = start(bundles);
        boolean controlOpen = awaitFile(socket, CONTROL_SOCKET_WAIT_MS);
        if (!controlOpen) {
            err.println("netstack: the control socket " + socket + " did not open: ./netstack shell will not reach this stack (is the shell bundle active?).");
        }
        out.println(STARTED + ": " + active + " of " + bundles.size() + " bundles active; run directory " + runDir
                + "; configuration in " + etcDir + "; shell: ./netstack shell --run " + runDir + " COMMAND");
        out.flush();

        FrameworkEvent stopped = framework.waitForStop(0);
        Files.deleteIfExists(socket);
        if (stopped.getType() == FrameworkEvent.ERROR) {
            err.println("netstack: the framework stopped with an error: " + stopped.getThrowable());
            return 1;
        }
        return 0;
    }

    /**
     * For {@code --backend ixgbe}: whether {@code --pci} names an 82599 port, checked in sysfs
     * (read only) before anything starts, so that a wrong address ends the launch with one sentence
     * rather than a stack without its NIC. Returns that sentence, or null if the device is there.
     */
    static String checkNic(CommandLine.RunOptions options) {
        return checkNic(options, PciDevice.SYSFS_DEVICES);
    }

    static String checkNic(CommandLine.RunOptions options, Path sysfsDevices) {
        if (!options.ixgbe() || options.pci() == null) {
            return null;
        }
        try {
            IxgbePci.checkPort(options.pci(), sysfsDevices);
            return null;
        } catch (PciException | IxgbeException e) {
            return e.getMessage();
        }
    }

    private Map<String, String> frameworkProperties(Path runDir, Path etcDir, Path socket) {
        Map<String, String> properties = new HashMap<>();
        properties.put(Constants.FRAMEWORK_STORAGE, runDir.resolve("felix-cache").toString());
        properties.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        // FileInstall: configuration only (no bundles from etc/), applied at once and then polled.
        properties.put("felix.fileinstall.dir", etcDir.toString());
        properties.put("felix.fileinstall.filter", ".*\\.(cfg|config)");
        properties.put("felix.fileinstall.poll", "1000");
        properties.put("felix.fileinstall.noInitialDelay", "true");
        properties.put("felix.fileinstall.log.level", "2");
        // The files are the source of truth: FileInstall must not write configurations back into
        // them (its write-back raced with its own start-up and could leave a file empty).
        properties.put("felix.fileinstall.enableConfigSave", "false");
        properties.put("ds.loglevel", "warn");
        // The log API comes from the launcher's class path so that LogPrinter and the log bundle share it.
        properties.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA,
                "org.osgi.service.log;version=\"" + LOG_API_VERSION + "\",org.osgi.service.log.admin;version=\"1.0\"");
        properties.put(CONTROL_SOCKET_PROPERTY, socket.toString());
        properties.put("gosh.args", interactive() ? "--noshutdown" : "--nointeractive --noshutdown");
        return properties;
    }

    private boolean interactive() {
        return switch (options.console()) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> System.console() != null && System.console().isTerminal();
        };
    }

    private List<Bundle> install(BundleContext context) throws IOException {
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(home.resolve("bundle"), "*.jar")) {
            files.forEach(jars::add);
        }
        jars.sort(null);
        List<Bundle> bundles = new ArrayList<>();
        for (Path jar : jars) {
            try {
                bundles.add(context.installBundle(jar.toUri().toString()));
            } catch (BundleException e) {
                err.println("netstack: could not install " + jar.getFileName() + ": " + e.getMessage());
            }
        }
        return bundles;
    }

    /**
     * Prints the log service's errors and warnings as single lines on stderr ({@link LogPrinter}):
     * SCR and FileInstall log there once it runs, instead of printing stack traces on stdout.
     */
    private void listenToLog(BundleContext context) {
        LogPrinter printer = new LogPrinter(err);
        new ServiceTracker<LogReaderService, LogReaderService>(context, LogReaderService.class, null) {
            @Override
            public LogReaderService addingService(ServiceReference<LogReaderService> reference) {
                LogReaderService reader = super.addingService(reference);
                if (reader != null) {
                    reader.addLogListener(printer);
                }
                return reader;
            }
        }.open();
    }

    private int start(List<Bundle> bundles) {
        int active = 0;
        List<Bundle> ordered = new ArrayList<>(bundles);
        ordered.sort(Comparator.comparing((Bundle b) -> !LOG_BUNDLE.equals(b.getSymbolicName())));
        for (Bundle bundle : ordered) {
            if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null) {
                continue;
            }
            try {
                bundle.start();
            } catch (BundleException e) {
                err.println("netstack: bundle " + bundle.getSymbolicName() + " did not start: " + e.getMessage());
            }
        }
        for (Bundle bundle : bundles) {
            if (bundle.getState() == Bundle.ACTIVE) {
                active++;
            }
        }
        return active;
    }

    private static boolean awaitFile(Path file, long timeoutMs) throws InterruptedException {
        long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!Files.exists(file)) {
            if (deadlineNs - System.nanoTime() < 0) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /**
     * SIGINT and SIGTERM stop the framework (components deactivate and close their devices) and
     * the process exits 0 once it has stopped. A shutdown hook covers every other way out.
     */
    @SuppressWarnings("removal")
    private void installSignalHandlers(Framework framework) {
        Runnable stop = () -> {
            try {
                framework.stop();
            } catch (BundleException e) {
                err.println("netstack: could not stop the framework: " + e.getMessage());
            }
        };
        for (String name : List.of("INT", "TERM")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> Thread.ofPlatform().name("netstack-stop").start(stop));
            } catch (IllegalArgumentException e) {
                // The JVM reserves this signal (for example with -Xrs): the shutdown hook still stops Felix.
            }
        }
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("netstack-shutdown").unstarted(() -> {
            if ((framework.getState() & (Bundle.ACTIVE | Bundle.STARTING)) != 0) {
                stop.run();
                try {
                    framework.waitForStop(STOP_WAIT_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }));
    }
}
