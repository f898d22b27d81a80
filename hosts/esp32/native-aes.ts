// The board's AES-128 for the CMAC: Moddable's native crypt BlockCipher (C, KCL's FIPS 197) behind
// the secure room's BlockCipher port, so a CAN MAC costs one native call instead of ≈3 k XS computrons
// of TypeScript AES (bench:can-native, docs/board-native.md).
import { BlockCipher } from "crypt";
import { cryptAes } from "./crypt-aes";

export const nativeAes = cryptAes(BlockCipher);
