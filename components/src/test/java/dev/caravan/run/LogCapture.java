package dev.caravan.run;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Keeps every log line (logger, message and stack trace) at DEBUG while open, for tests that assert what is never
 * logged; the loggers named {@code off} stay off.
 */
final class LogCapture implements AutoCloseable {

    private final String name;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private String[] off = new String[0];

    private LogCapture(String name) {
        this.name = name;
    }

    static LogCapture start(String name, String... off) {
        LogCapture capture = new LogCapture(name);
        AbstractAppender appender = new AbstractAppender(name, null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                StringWriter text = new StringWriter();
                text.append(event.getLoggerName()).append(": ").append(event.getMessage().getFormattedMessage());
                if (event.getThrown() != null) {
                    event.getThrown().printStackTrace(new PrintWriter(text));
                }
                capture.lines.add(text.toString());
            }
        };
        appender.start();
        LoggerContext logContext = (LoggerContext) LogManager.getContext(false);
        Configuration config = logContext.getConfiguration();
        config.addAppender(appender);
        config.getRootLogger().addAppender(appender, Level.ALL, null);
        config.getRootLogger().setLevel(Level.DEBUG);
        for (String logger : off) {
            config.addLogger(logger, new LoggerConfig(logger, Level.OFF, true));
        }
        capture.off = off;
        logContext.updateLoggers();
        return capture;
    }

    List<String> lines() {
        return lines;
    }

    @Override
    public void close() {
        LoggerContext logContext = (LoggerContext) LogManager.getContext(false);
        logContext.getConfiguration().getRootLogger().removeAppender(name);
        for (String logger : off) {
            logContext.getConfiguration().removeLogger(logger);
        }
        logContext.getConfiguration().getRootLogger().setLevel(Level.WARN);
        logContext.updateLoggers();
    }
}
