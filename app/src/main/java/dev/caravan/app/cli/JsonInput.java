package dev.caravan.app.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.caravan.json.Json;
import dev.caravan.support.JsonProblems;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The run input the command line gives, as {@code --input}: read, parsed, and shown again safely. */
final class JsonInput {

    private JsonInput() {
    }

    /**
     * The value of {@code --input}: JSON text, {@code @FILE} (relative to the working directory) or {@code @-}
     * (stdin); an empty map when the option is not given.
     *
     * @throws UserException when it cannot be read or is not exactly one JSON value
     */
    static Object parse(String input, InputStream stdin, Path workingDir) {
        if (input == null) {
            return Map.of();
        }
        String text;
        String what;
        if (input.equals("@-")) {
            try {
                text = new String(stdin.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UserException(ExitCodes.USAGE, "--input @-: cannot read stdin: " + e.getMessage(), e);
            }
            what = "--input @- (stdin)";
        } else if (input.startsWith("@")) {
            String name = input.substring(1);
            Path p = workingDir.resolve(name).normalize();
            if (!Files.isRegularFile(p)) {
                throw new UserException(ExitCodes.USAGE, "--input " + input + ": no such file");
            }
            try {
                text = Files.readString(p, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UserException(ExitCodes.USAGE, "--input " + input + ": cannot be read: " + e.getMessage(), e);
            }
            what = "--input " + input;
        } else {
            text = input;
            what = "--input";
        }
        if (text.isBlank()) {
            throw new UserException(ExitCodes.USAGE, what + " is empty; expected JSON");
        }
        try (JsonParser parser = Json.MAPPER.createParser(text)) {
            Object value = Json.MAPPER.readValue(parser, Object.class);
            int rest = (int) parser.currentLocation().getCharOffset();
            while (rest < text.length() && Character.isWhitespace(text.charAt(rest))) {
                rest++;
            }
            if (rest < text.length()) {
                // Jackson stops after the first value: '{"a": 1} x' would otherwise run with {"a": 1}
                throw new UserException(ExitCodes.USAGE, what + " has more text after its JSON value ("
                        + lineAndColumn(text, rest) + "); expected exactly one JSON value");
            }
            return value;
        } catch (JsonProcessingException e) {
            String where = JsonProblems.where(e);
            throw new UserException(ExitCodes.USAGE, what + " is not valid JSON"
                    + (where == null ? "" : " (" + where + ")") + ": " + JsonProblems.message(e), e);
        } catch (IOException e) {
            throw new UserException(ExitCodes.USAGE, what + " cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * JSON input as the same JSON, safe to print: it parsed, so its only raw controls are whitespace between tokens,
     * and what a terminal would act on inside its strings is escaped the JSON way.
     */
    static String printable(String json) {
        return TerminalText.json(json.replace('\r', ' ').replace('\n', ' ').replace('\t', ' '));
    }

    /** {@code line L, column C} (both from 1) of a character of the text. */
    private static String lineAndColumn(String text, int index) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < index; i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return "line " + line + ", column " + (index - lineStart + 1);
    }
}
