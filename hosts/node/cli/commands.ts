// Every subcommand of `xsmeter`, one import and one entry per command.
import type { Command } from "./command";
import { analyzeCommand } from "./analyze-command";
import { calibrateCommand } from "./calibrate-command";
import { obisCommand } from "./obis-command";
import { xsCommand } from "./xs-command";
import { webCommand } from "./web-command";
import { uiCommand, uiFontDeriveCommand } from "./ui-command";
import { simCommand } from "./sim-command";
import { otaCommand } from "./ota-command";
import { cmdCommand } from "./cmd-command";
import { benchCanCommand, canDbcCommand } from "./can-command";
import { headendCommand } from "../../headend/cli";

export const COMMANDS: Command[] = [
  analyzeCommand,
  calibrateCommand,
  obisCommand,
  xsCommand,
  webCommand,
  uiCommand,
  uiFontDeriveCommand,
  simCommand,
  otaCommand,
  cmdCommand,
  canDbcCommand,
  benchCanCommand,
  headendCommand,
];
