<#
.SYNOPSIS
  CCO installer for Windows. Downloads the release asset, checks its SHA-256 against the release's
  SHA256SUMS, and only then installs it.

.DESCRIPTION
  irm https://github.com/cco-app/cco/releases/latest/download/install.ps1 | iex
  .\install.ps1 [-Daemon] [-Version 2026.1122.1]

  Default: the per-user NSIS installer (CCO-Setup-<version>-win-x64.exe), run silently.
  -Daemon: the standalone daemon cco-daemon.cjs with the program and store worker files beside it (needs
  Node.js >= 20) into %LOCALAPPDATA%\cco, plus a cco.cmd command in %LOCALAPPDATA%\cco\bin (added to the user PATH).

  Environment: CCO_REPO (owner/repo), CCO_DOWNLOAD_BASE (default https://github.com/$CCO_REPO/releases),
  CCO_INSTALL_DIR (daemon folder).
#>
[CmdletBinding()]
param(
  [switch]$Daemon,
  [string]$Version = 'latest'
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12

$Repo = if ($env:CCO_REPO) { $env:CCO_REPO } else { 'cco-app/cco' }
$Base = if ($env:CCO_DOWNLOAD_BASE) { $env:CCO_DOWNLOAD_BASE } else { "https://github.com/$Repo/releases" }
$InstallDir = if ($env:CCO_INSTALL_DIR) { $env:CCO_INSTALL_DIR } else { Join-Path $env:LOCALAPPDATA 'cco' }
$Version = $Version -replace '^v', ''

function Say([string]$Message) { Write-Host "cco-install: $Message" }

function Get-AssetUrl([string]$Name) {
  if ($Version -eq 'latest') { return "$Base/latest/download/$Name" }
  return "$Base/download/v$Version/$Name"
}

if (-not $env:CCO_DOWNLOAD_BASE -and -not $Base.StartsWith('https://')) { throw 'refusing a non-https download base' }

$Suffix = if ($Daemon) { 'cco-daemon.cjs' } else { '-win-x64.exe' }
if (-not $Daemon -and -not [Environment]::Is64BitOperatingSystem) { throw 'CCO for Windows is built for x64; use -Daemon' }

$Tmp = Join-Path ([IO.Path]::GetTempPath()) ("cco-install-" + [Guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Path $Tmp | Out-Null
try {
  $SumsUrl = Get-AssetUrl 'SHA256SUMS'
  Say "reading $SumsUrl"
  $SumsFile = Join-Path $Tmp 'SHA256SUMS'
  Invoke-WebRequest -Uri $SumsUrl -OutFile $SumsFile -UseBasicParsing

  $Entry = $null
  foreach ($Line in Get-Content -LiteralPath $SumsFile) {
    if ($Line -match '^([0-9a-fA-F]{64}) [ *](.+)$') {
      $Name = $Matches[2].Trim()
      if ($Name -eq $Suffix -or $Name.EndsWith($Suffix)) { $Entry = @{ Hash = $Matches[1].ToLowerInvariant(); Name = $Name }; break }
    }
  }
  if (-not $Entry) { throw "the release has no file ending in $Suffix" }

  $File = Join-Path $Tmp $Entry.Name
  Say "downloading $($Entry.Name)"
  Invoke-WebRequest -Uri (Get-AssetUrl $Entry.Name) -OutFile $File -UseBasicParsing
  $Actual = (Get-FileHash -LiteralPath $File -Algorithm SHA256).Hash.ToLowerInvariant()
  if ($Actual -ne $Entry.Hash) { throw "checksum mismatch for $($Entry.Name) (expected $($Entry.Hash), got $Actual); nothing was installed" }
  Say "checksum verified (SHA-256 $Actual)"

  # The files that go beside the daemon, when the release has them: its program (cco-program-<hash>.cjs, which
  # cco-daemon.cjs loads) and its store worker (cco-store-worker-<hash>.cjs); older releases have neither or only the worker.
  $Beside = @()
  if ($Daemon) {
    foreach ($Kind in @('program', 'store-worker')) {
      foreach ($Line in Get-Content -LiteralPath $SumsFile) {
        if ($Line -match '^([0-9a-fA-F]{64}) [ *](.+)$') {
          $Name = $Matches[2].Trim()
          $Hash = $Matches[1].ToLowerInvariant()
          if ($Name -match "^cco-$Kind-[0-9a-f]+\.cjs$") {
            $BFile = Join-Path $Tmp $Name
            Say "downloading $Name"
            Invoke-WebRequest -Uri (Get-AssetUrl $Name) -OutFile $BFile -UseBasicParsing
            $BActual = (Get-FileHash -LiteralPath $BFile -Algorithm SHA256).Hash.ToLowerInvariant()
            if ($BActual -ne $Hash) { throw "checksum mismatch for $Name (expected $Hash, got $BActual); nothing was installed" }
            $Beside += $Name
            break
          }
        }
      }
    }
  }

  if ($Daemon) {
    $Node = Get-Command node -ErrorAction SilentlyContinue
    if (-not $Node) { throw 'the daemon needs Node.js >= 20 on PATH' }
    $Major = [int]((& node -p 'process.versions.node.split(".")[0]').Trim())
    if ($Major -lt 20) { throw "the daemon needs Node.js >= 20 (found $Major)" }
    $BinDir = Join-Path $InstallDir 'bin'
    New-Item -ItemType Directory -Force -Path $BinDir | Out-Null
    $Target = Join-Path $InstallDir 'cco-daemon.cjs'
    foreach ($Name in $Beside) { Move-Item -LiteralPath (Join-Path $Tmp $Name) -Destination (Join-Path $InstallDir $Name) -Force }
    Move-Item -LiteralPath $File -Destination $Target -Force
    # other builds' files, and the V8 code caches of other programs (cco-program-<hash>.cjs.<node>-<arch>.v8)
    Get-ChildItem -LiteralPath $InstallDir -File | Where-Object { $_.Name -match '^(cco-(program|store-worker)-[0-9a-f]+\.cjs)(\..+\.v8)?$' -and $Beside -notcontains $Matches[1] } | Remove-Item -Force -ErrorAction SilentlyContinue
    Set-Content -LiteralPath (Join-Path $BinDir 'cco.cmd') -Encoding ASCII -Value "@echo off`r`nnode `"$Target`" %*"
    $UserPath = [Environment]::GetEnvironmentVariable('Path', 'User')
    if (-not (($UserPath -split ';') -contains $BinDir)) {
      $NewPath = if ($UserPath) { "$UserPath;$BinDir" } else { $BinDir }
      [Environment]::SetEnvironmentVariable('Path', $NewPath, 'User')
      Say "added $BinDir to your PATH (open a new terminal)"
    }
    Say "installed $Target; next: cco run   (or: cco install-service)"
  } else {
    Say 'running the installer (per-user, no admin rights needed)'
    $Proc = Start-Process -FilePath $File -ArgumentList '/S' -Wait -PassThru
    if ($Proc.ExitCode -ne 0) { throw "the installer exited with code $($Proc.ExitCode)" }
    Say 'installed CCO; it starts in the notification area'
  }
} finally {
  Remove-Item -LiteralPath $Tmp -Recurse -Force -ErrorAction SilentlyContinue
}
