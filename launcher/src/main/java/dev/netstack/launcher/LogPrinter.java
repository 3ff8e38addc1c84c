package dev.netstack.launcher;

import java.io.PrintStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;

/**
 * Prints the warnings and errors of the OSGi log service (Felix Log, to which SCR and FileInstall
 * log once it runs) as one line each on stderr, starting with {@code netstack:}, never a stack
 * trace. A component that failed to activate is reported by the message of its root cause, which
 * for netstack's components is a sentence saying what to do:
 *
 * <pre>
 * netstack: component dev.netstack.nic.tap.internal.TapComponent did not activate: Cannot create
 *           TAP device tap0: the name is invalid or taken by an interface that is not a TAP; ...
 * </pre>
 *
 * (one line in reality). Entries other than errors and warnings are ignored.
 */
final class LogPrinter implements LogListener {

    /** SCR's prefix naming the component: {@code bundle B (6)[dev.netstack.X(5)] : message}. */
    private static final Pattern SCR_COMPONENT = Pattern.compile("\\[([\\w.$]+)\\(\\d+\\)\\]");
    /** SCR's messages about a failed activation (constructor or activate method threw), not deactivation. */
    private static final Pattern ACTIVATION_FAILED = Pattern.compile("(?i)instantiation|(?<!de)activat");
    /** SCR's prefix naming the bundle, dropped from messages. */
    private static final Pattern SCR_PREFIX = Pattern.compile("^bundle \\S+ \\(\\d+\\)(\\[[^\\]]*\\])? ?: ?");

    /** {@code java.lang.IllegalStateException: } in front of a message made by Throwable.toString(). */
    private static final Pattern JAVA_CLASS_PREFIX = Pattern.compile("^(?:[a-z_$][\\w$]*\\.)+[A-Z][\\w$]*: ");

    private static final int MAX_CAUSES = 32;

    private final PrintStream err;

    LogPrinter(PrintStream err) {
        this.err = err;
    }

    @Override
    public void logged(LogEntry entry) {
        String line = format(entry);
        if (line != null) {
            synchronized (err) {
                err.println(line);
                err.flush();
            }
        }
    }

    /** The line for {@code entry}, or null if it is not an error or a warning. */
    static String format(LogEntry entry) {
        LogLevel level = entry.getLogLevel();
        if (level != LogLevel.ERROR && level != LogLevel.WARN) {
            return null;
        }
        String message = entry.getMessage() == null ? "" : entry.getMessage();
        Throwable exception = entry.getException();
        String cause = exception == null ? null : rootCauseMessage(exception);
        Matcher component = SCR_COMPONENT.matcher(message);
        String text;
        String stripped = SCR_PREFIX.matcher(message).replaceFirst("");
        if (component.find() && cause != null && ACTIVATION_FAILED.matcher(message).find()) {
            text = "component " + component.group(1) + " did not activate: " + cause;
        } else {
            text = component.find(0) ? "component " + component.group(1) + ": " + stripped : stripped;
            if (cause != null && !text.contains(cause)) {
                text = text.isBlank() ? cause : text + ": " + cause;
            }
        }
        return "netstack: " + (level == LogLevel.WARN ? "warning: " : "") + oneLine(text);
    }

    /** The message of the deepest cause that has one, else the deepest cause's class name. */
    static String rootCauseMessage(Throwable exception) {
        String message = null;
        Throwable deepest = exception;
        Throwable t = exception;
        for (int depth = 0; t != null && depth < MAX_CAUSES; depth++, t = t.getCause()) {
            deepest = t;
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                message = t.getMessage();
            }
        }
        if (message == null) {
            return deepest.getClass().getSimpleName();
        }
        // Felix Log keeps a copy of the exception whose message is the original's toString().
        return JAVA_CLASS_PREFIX.matcher(message).replaceFirst("");
    }

    private static String oneLine(String text) {
        return text.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
