package dev.caravan.app.cli;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;

/**
 * Sets how much the CLI logs. {@code log4j2.xml} reads the {@code caravan.log.*} system properties; this class sets
 * them for the verbosity asked for and reconfigures Log4j when they changed.
 */
public final class Logging {

    private Logging() {
    }

    /** 0: warnings without stack traces; 1 ({@code -v}): INFO; 2+ ({@code -vv}): DEBUG, library INFO, stack traces. */
    public static synchronized void configure(int verbosity) {
        int level = Math.max(0, Math.min(verbosity, 2));
        if (System.getProperty("hazelcast.logging.type") == null) {
            System.setProperty("hazelcast.logging.type", "slf4j");
        }
        if (level == applied()) {
            return;
        }
        switch (level) {
            case 0 -> {
                System.clearProperty("caravan.log.level");
                System.clearProperty("caravan.log.libraryLevel");
                System.clearProperty("caravan.log.appender");
                System.clearProperty("caravan.log.errorHandlerLevel");
            }
            case 1 -> {
                System.setProperty("caravan.log.level", "INFO");
                System.setProperty("caravan.log.libraryLevel", "WARN");
                System.setProperty("caravan.log.errorHandlerLevel", "ERROR");
                System.setProperty("caravan.log.appender", "detailed");
            }
            default -> {
                System.setProperty("caravan.log.level", "DEBUG");
                System.setProperty("caravan.log.libraryLevel", "INFO");
                System.setProperty("caravan.log.errorHandlerLevel", "ERROR");
                System.setProperty("caravan.log.appender", "detailed");
            }
        }
        if (LogManager.getContext(false) instanceof LoggerContext ctx) {
            ctx.reconfigure();
        }
    }

    /** The verbosity the system properties currently say (they are what log4j2.xml reads). */
    private static int applied() {
        String level = System.getProperty("caravan.log.level");
        return level == null ? 0 : "INFO".equals(level) ? 1 : 2;
    }

    public static boolean showStackTraces(int verbosity) {
        return verbosity > 0;
    }
}
