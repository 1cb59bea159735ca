package dev.caravan.app.cli;

import dev.caravan.app.CaravanCli;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.util.concurrent.Callable;

/** {@code caravan completion}: the bash (and zsh) completion script of the command line. */
@Command(name = "completion",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Print a bash completion script for caravan (zsh reads it too, after bashcompinit).",
        footer = {"%nExamples:",
                "  source <(caravan completion)",
                "  caravan completion > /etc/bash_completion.d/caravan"})
public final class CompletionCommand implements Callable<Integer> {

    @ParentCommand
    CaravanCli cli;

    @Override
    public Integer call() {
        cli.out().print(AutoComplete.bash("caravan", cli.commandLine()));
        cli.out().flush();
        return ExitCodes.OK;
    }
}
