package dev.caravan.run;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Keeps every log line (logger, message and stack trace) at DEBUG from before the tests of a class to after them,
 * for tests that assert what is never logged; the loggers named {@code off} stay off. Registered with
 * {@code @RegisterExtension} and an {@code @Order} before the engine's, it sees the engine start and stop.
 */
final class LogCapture implements BeforeAllCallback, AfterAllCallback {

    private final String name;
    private final String[] off;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private LogCapture(String name, String[] off) {
        this.name = name;
        this.off = off;
    }

    static LogCapture of(String name, String... off) {
        return new LogCapture(name, off);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        AbstractAppender appender = new AbstractAppender(name, null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                StringWriter text = new StringWriter();
                text.append(event.getLoggerName()).append(": ").append(event.getMessage().getFormattedMessage());
                if (event.getThrown() != null) {
                    event.getThrown().printStackTrace(new PrintWriter(text));
                }
                lines.add(text.toString());
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
        logContext.updateLoggers();
    }

    List<String> lines() {
        return lines;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        LoggerContext logContext = (LoggerContext) LogManager.getContext(false);
        logContext.getConfiguration().getRootLogger().removeAppender(name);
        for (String logger : off) {
            logContext.getConfiguration().removeLogger(logger);
        }
        logContext.getConfiguration().getRootLogger().setLevel(Level.WARN);
        logContext.updateLoggers();
    }
}
