package dev.caravan.app.cli;

import java.io.Console;
import java.lang.reflect.Method;
import java.util.Locale;

/** Asks a person a yes/no question, e.g. whether to approve a gate. */
@FunctionalInterface
public interface Prompter {

    /**
     * Asks the question; returns true for yes, false for no (the default on an empty answer), and null when no
     * answer can be had (end of input).
     */
    Boolean ask(String question);

    /** A prompter on the terminal, or null when stdin/stdout are not a terminal. */
    static Prompter terminal() {
        Console console = System.console();
        if (console == null || !isTerminal(console)) {
            return null;
        }
        return question -> {
            String answer = console.readLine("%s [y/N] ", TerminalText.safe(question));
            if (answer == null) {
                return null;
            }
            String a = answer.strip().toLowerCase(Locale.ROOT);
            return a.equals("y") || a.equals("yes");
        };
    }

    /** Since Java 22, System.console() exists even when redirected; Console.isTerminal() tells. */
    private static boolean isTerminal(Console console) {
        try {
            Method m = Console.class.getMethod("isTerminal");
            return (Boolean) m.invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // before Java 22 System.console() is null unless on a terminal
        }
    }
}
