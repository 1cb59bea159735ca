package dev.caravan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.component.node.NodeErrorException;
import dev.caravan.component.node.NodeFailedException;
import dev.caravan.component.node.ValueTooLargeException;
import dev.caravan.dsl.InvalidWorkflowException;
import dev.caravan.expr.ExpressionException;
import dev.caravan.run.InvalidInputException;
import dev.caravan.run.KillSwitchException;
import dev.caravan.run.RunConflictException;
import dev.caravan.run.UnknownRunException;
import dev.caravan.run.UnknownWorkflowException;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The engine's exceptions share one root, whose stable codes an API or a script can act on. */
class EngineExceptionsTest {

    @Test
    void everyPublicExceptionOfTheEngineIsACaravanException() throws Exception {
        Path classes = Path.of(CaravanException.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> outside;
        try (Stream<Path> files = Files.walk(classes)) {
            outside = files.filter(f -> f.toString().endsWith(".class")).map(f -> load(classes, f))
                    .filter(c -> Throwable.class.isAssignableFrom(c) && Modifier.isPublic(c.getModifiers()))
                    .filter(c -> !CaravanException.class.isAssignableFrom(c))
                    // a Camel exchange exception, as Camel's error handlers expect; it carries the code of its cause
                    .filter(c -> c != NodeFailedException.class)
                    .map(Class::getName).sorted().toList();
        }
        assertThat(outside).isEmpty();
    }

    @Test
    void eachFailureHasItsStableCode() {
        Map<CaravanException, String> codes = Map.of(
                new InvalidWorkflowException(List.of()), "WORKFLOW_INVALID",
                new UnknownWorkflowException("w", List.of()), "WORKFLOW_NOT_FOUND",
                new UnknownRunException("r"), "RUN_NOT_FOUND",
                new RunConflictException("no gate"), "RUN_CONFLICT",
                new InvalidInputException("w", List.of("name is missing")), "INPUT_INVALID",
                new KillSwitchException("stopped"), "KILL_SWITCH",
                new ExpressionException("bad", 0), "EXPRESSION",
                new ValueTooLargeException("n", 2, 1), "OUTPUT_TOO_LARGE",
                new NodeErrorException("GATE_TIMEOUT", "late"), "GATE_TIMEOUT");
        codes.forEach((exception, code) -> assertThat(exception.code()).as(exception.getClass().getName())
                .isEqualTo(code).matches("[A-Z][A-Z0-9_]*"));
    }

    private static Class<?> load(Path root, Path file) {
        String name = root.relativize(file).toString().replace(File.separatorChar, '.')
                .replaceAll("\\.class$", "");
        try {
            return Class.forName(name, false, EngineExceptionsTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }
}
